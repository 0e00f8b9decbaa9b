// Every agent's hook exactly as `rch hook install --agent NAME` registers it, run the way that
// agent runs it (its `hookShell`, e.g. `/bin/sh -c` for Claude Code, `/bin/bash -c` for Codex)
// with the agent's own sample payload on stdin. Targets (BENCHMARKS.md): non-build median ≤ 2 ×
// `<that shell> -c true`, build median ≤ 1.5 × a compiled Bun program that only reads stdin. All
// rows run side by side, interleaved, in one run so machine noise hits them alike.
// Run: bun run build && bun bench/hook.bench.ts
// RCH_BENCH_BASE=/path/to/another/rch adds that rch's installed hook (build command) to the same
// interleaved rounds, for every agent it can install (a build from before the adapters: only the
// default agent): an A/B against an earlier build on one machine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_AGENT_NAME, loadAgent, loadAgents } from "../src/hook/agents/index.ts";

const AGENTS = await loadAgents();
const DEFAULT_AGENT = (await loadAgent(DEFAULT_AGENT_NAME))!;

import type { AgentAdapter } from "../src/hook/agents/types.ts";
import { hookStatus } from "../src/hook/install.ts";

const rch = resolve(import.meta.dir, "../dist/rch");
const dir = mkdtempSync(join(tmpdir(), "rch-hook-bench-"));
// Every temporary HOME (the floor binary alone is ~100 MB) goes when the bench ends, thrown or not.
const scratch = [dir];
process.on("exit", () => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const runs = Number(process.env.RUNS ?? 300);

/** The command `bin hook install --agent NAME` registers, in a HOME of its own. */
function installedHook(bin: string, agent: AgentAdapter, home = dir): string {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
  const args = agent === DEFAULT_AGENT ? ["hook", "install"] : ["hook", "install", "--agent", agent.name];
  const r = Bun.spawnSync([bin, ...args], { env });
  if (r.exitCode !== 0) throw new Error(`${bin} ${args.join(" ")} failed: ${r.stderr}`);
  const s = hookStatus(env, agent);
  if (!s.command) throw new Error(`${agent.name}: no hook command found in ${s.file}`);
  return s.command;
}

/** The base build's installed hook for `agent`, or undefined when it cannot install one. */
function baseHook(agent: AgentAdapter): string | undefined {
  const bin = process.env.RCH_BENCH_BASE;
  if (!bin) return undefined;
  const home = mkdtempSync(join(tmpdir(), "rch-hook-bench-base-"));
  scratch.push(home);
  try {
    return installedHook(bin, agent, home);
  } catch (e) {
    if (agent === DEFAULT_AGENT) throw e;
    return undefined;
  }
}

// "bypassPermissions": the mode in which every agent's adapter rewrites (Codex rewrites in no other).
function payloadFile(agent: AgentAdapter, kind: "nonbuild" | "build", mode = "bypassPermissions"): string {
  const command = kind === "build" ? "cargo build --release 2>&1 | tail -20" : "git status --short";
  const file = join(dir, `${agent.name}-${kind}-${mode}.json`);
  writeFileSync(file, `${JSON.stringify(agent.sample(command, "/work/app", mode))}\n`);
  return file;
}

// Bun's own floor: a binary compiled with rch's flags that only reads stdin and exits, so the
// report can tell the runtime's start-up from rch's work on top of it.
const floorSrc = join(dir, "floor.ts");
writeFileSync(floorSrc, 'require("node:fs").readFileSync(0);\n');
const floor = join(dir, "floor");
const flags = [
  "--compile",
  "--minify",
  "--bytecode",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
];
const built = Bun.spawnSync([process.execPath, "build", ...flags, floorSrc, "--outfile", floor], {
  stdout: "pipe",
  stderr: "pipe",
});
if (built.exitCode !== 0) throw new Error(`building the floor binary failed: ${built.stderr}`);

interface Row {
  label: string;
  argv: string[];
  input: string;
  /** Added to the environment every row runs with. */
  env?: Record<string, string>;
  /** The row whose median this one is compared with, and the target ratio. */
  vs?: { label: string; target: number };
}
const shellTrue = (shell: readonly string[]) => `${shell.join(" ")} true`;
const anyInput = payloadFile(DEFAULT_AGENT, "nonbuild");
const rows: Row[] = [
  { label: "/bin/true (the spawn itself)", argv: ["/bin/true"], input: anyInput },
  { label: "bare compiled Bun, reads stdin", argv: [floor], input: anyInput },
  // The hook starts rch with the JIT off (src/shell/shortRun.ts); the same switch on the floor
  // shows how much of the gain is Bun's own start-up. The targets stay against the default floor.
  {
    label: "the same, JIT off",
    argv: [floor],
    input: anyInput,
    env: { BUN_JSC_useJIT: "0" },
    vs: { label: "bare compiled Bun, reads stdin", target: Number.POSITIVE_INFINITY },
  },
];
const shells = new Set(AGENTS.map((a) => a.hookShell.join(" ")));
for (const s of shells) rows.push({ label: `${s} true`, argv: [...s.split(" "), "true"], input: anyInput });
for (const agent of AGENTS) {
  const command = installedHook(rch, agent);
  const build = payloadFile(agent, "build");
  const check = Bun.spawnSync([...agent.hookShell, command], { stdin: Bun.file(build), env: { HOME: dir } });
  if (!check.stdout.toString().includes("exec -- cargo build"))
    throw new Error(`${agent.name}: the hook did not rewrite the build payload`);
  const shell = { label: shellTrue(agent.hookShell), target: 2 };
  rows.push({
    label: `${agent.name}: non-build`,
    argv: [...agent.hookShell, command],
    input: payloadFile(agent, "nonbuild"),
    vs: shell,
  });
  const floorRef = { label: "bare compiled Bun, reads stdin", target: 1.5 };
  rows.push({
    label: `${agent.name}: build`,
    argv: [...agent.hookShell, command],
    input: build,
    vs: floorRef,
  });
  // Claude Code's usual mode: the hook reads the permission rules to decide whether to say "allow"
  // (the settings file the install wrote, with an allow and a deny rule added).
  if (agent === DEFAULT_AGENT) {
    const settings = join(dir, ".claude", "settings.json");
    const json = JSON.parse(readFileSync(settings, "utf8")) as Record<string, unknown>;
    json.permissions = { allow: ["Bash(cargo build:*)", "Bash(make:*)"], deny: ["Bash(rm -rf:*)"] };
    writeFileSync(settings, JSON.stringify(json, null, 2));
    rows.push({
      label: `${agent.name}: build, default mode, rules read`,
      argv: [...agent.hookShell, command],
      input: payloadFile(agent, "build", "default"),
      vs: floorRef,
    });
  }
}
for (const agent of AGENTS) {
  const base = baseHook(agent);
  if (!base) continue;
  rows.push({
    label: `base rch, ${agent.name}: build`,
    argv: [...agent.hookShell, base],
    input: payloadFile(agent, "build"),
    vs: { label: "bare compiled Bun, reads stdin", target: Number.POSITIVE_INFINITY },
  });
}

// One of each row per round, so a noisy phase of the (shared, virtualised) machine hits them all
// alike; hyperfine would run every iteration of one command before the next. Each is timed around
// a spawn from this process, which adds the same spawn cost to all (the /bin/true row).
function once(row: Row): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(row.argv, {
    stdin: Bun.file(row.input),
    env: { HOME: dir, PATH: "/usr/bin:/bin", ...row.env },
  });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${row.label} exited ${r.exitCode}`);
  return ms;
}
const samples = rows.map(() => [] as number[]);
for (let round = -30; round < runs; round++) {
  rows.forEach((row, i) => {
    const ms = once(row);
    if (round >= 0) samples[i]!.push(ms);
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medians = new Map(rows.map((r, i) => [r.label, median(samples[i]!)]));
const width = Math.max(...rows.map((r) => r.label.length)) + 2;
console.log(`hook bench (${runs} interleaved rounds, medians of wall time around each spawn)`);
for (const r of rows) {
  const ms = medians.get(r.label)!;
  let note = "";
  if (r.vs) {
    const ratio = ms / medians.get(r.vs.label)!;
    const target = Number.isFinite(r.vs.target) ? ` (target ≤ ${r.vs.target.toFixed(2)})` : "";
    note = `   ${ratio.toFixed(2)}× ${r.vs.label}${target}`;
  }
  console.log(`  ${r.label.padEnd(width)}${ms.toFixed(2).padStart(6)} ms${note}`);
}
