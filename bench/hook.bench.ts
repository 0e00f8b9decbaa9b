// The hook exactly as `rch hook install` registers it, run the way Claude Code runs it:
// `/bin/sh -c "<command>"` with the PreToolUse payload on stdin (targets in BENCHMARKS.md:
// non-build median ≤ 2 × `/bin/sh -c true`, build median ≤ 1.5 × a compiled Bun program that only
// reads stdin). All are measured side by side, interleaved, in one run so machine noise hits them
// alike.
// Run: bun run build && bun bench/hook.bench.ts
// RCH_BENCH_BASE=/path/to/another/rch adds that rch's installed hook (build command) to the same
// interleaved rounds: an A/B against an earlier build on one machine, in one run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const rch = resolve(import.meta.dir, "../dist/rch");
const dir = mkdtempSync(join(tmpdir(), "rch-hook-bench-"));
// Every temporary HOME (the floor binary alone is ~100 MB) goes when the bench ends, thrown or not.
const scratch = [dir];
process.on("exit", () => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const runs = Number(process.env.RUNS ?? 300);

const install = Bun.spawnSync([rch, "hook", "install"], { env: { ...process.env, HOME: dir } });
if (install.exitCode !== 0) throw new Error(`rch hook install failed: ${install.stderr}`);
const settings = JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8"));
const hookCommand: string = settings.hooks.PreToolUse[0].hooks[0].command;

/** The same install for another rch (A/B), in a HOME of its own. */
function installedHook(bin: string): string {
  const home = mkdtempSync(join(tmpdir(), "rch-hook-bench-base-"));
  scratch.push(home);
  const r = Bun.spawnSync([bin, "hook", "install"], { env: { ...process.env, HOME: home } });
  if (r.exitCode !== 0) throw new Error(`${bin} hook install failed: ${r.stderr}`);
  return JSON.parse(readFileSync(join(home, ".claude", "settings.json"), "utf8")).hooks.PreToolUse[0].hooks[0]
    .command;
}
const baseHook = process.env.RCH_BENCH_BASE ? installedHook(process.env.RCH_BENCH_BASE) : undefined;

// A payload shaped like Claude Code 2.1's (field order and size as captured in claude-code-e2e.md).
const payload = (command: string) =>
  JSON.stringify({
    session_id: "7bdd35e2-edcb-4850-be63-3c356faddd36",
    transcript_path: `${dir}/.claude/projects/-work-app/7bdd35e2-edcb-4850-be63-3c356faddd36.jsonl`,
    cwd: "/work/app",
    prompt_id: "065c03c3-5e8e-48c6-8737-424d15dc2171",
    permission_mode: "default",
    effort: { level: "medium" },
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command, description: "run it" },
    tool_use_id: "toolu_01",
  });
writeFileSync(join(dir, "nonbuild.json"), `${payload("git status --short")}\n`);
writeFileSync(join(dir, "build.json"), `${payload("cargo build --release 2>&1 | tail -20")}\n`);

// Bun's own floor: a binary compiled with rch's flags that only reads stdin and exits, so the
// report can tell the runtime's start-up from rch's work on top of it.
const floorSrc = join(dir, "floor.ts");
writeFileSync(floorSrc, 'require("node:fs").readFileSync(0);\n');
const floor = join(dir, "floor");
const built = Bun.spawnSync(
  [
    process.execPath,
    "build",
    "--compile",
    "--minify",
    "--bytecode",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    floorSrc,
    "--outfile",
    floor,
  ],
  { stdout: "pipe", stderr: "pipe" },
);
if (built.exitCode !== 0) throw new Error(`building the floor binary failed: ${built.stderr}`);

// The four commands run round-robin, one of each per round, so a noisy phase of the (shared,
// virtualised) machine hits them all alike; hyperfine would run every iteration of one command
// before the next. Each is timed around a spawn from this process, which adds the same spawn
// cost to all four (reported below as the /bin/true row).
const cmds: [string, string, string][] = [
  ["/bin/true", "/bin/true", "nonbuild.json"],
  ["/bin/sh -c true", "/bin/sh -c true", "nonbuild.json"],
  ["hook, non-build command", hookCommand, "nonbuild.json"],
  ["hook, build command", hookCommand, "build.json"],
  ["bare compiled Bun, reads stdin", floor, "build.json"],
  ...(baseHook ? [["base rch hook, build command", baseHook, "build.json"] as [string, string, string]] : []),
];
const check = Bun.spawnSync(["/bin/sh", "-c", hookCommand], {
  stdin: Bun.file(join(dir, "build.json")),
  env: { HOME: dir },
});
if (!check.stdout.toString().includes("exec -- cargo build"))
  throw new Error("the hook did not rewrite the build payload");

function once(cmd: string, input: string): number {
  const argv = cmd === hookCommand || cmd === baseHook ? ["/bin/sh", "-c", cmd] : cmd.split(" ");
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, {
    stdin: Bun.file(join(dir, input)),
    env: { HOME: dir, PATH: "/usr/bin:/bin" },
  });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${cmd} exited ${r.exitCode}`);
  return ms;
}
const samples = cmds.map(() => [] as number[]);
for (let round = -30; round < runs; round++) {
  cmds.forEach(([, cmd, input], i) => {
    const ms = once(cmd, input);
    if (round >= 0) samples[i]!.push(ms);
  });
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const [spawnCost, base, nonBuild, build, bunFloor, baseBuild] = samples.map(median) as [
  number,
  number,
  number,
  number,
  number,
  number | undefined,
];
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
console.log(`hook bench (${runs} interleaved rounds, medians of wall time around each spawn)`);
console.log(`  /bin/true (the spawn itself)    ${fmt(spawnCost)}`);
console.log(`  /bin/sh -c true                 ${fmt(base)}`);
console.log(
  `  hook, non-build command         ${fmt(nonBuild)}   ratio ${(nonBuild / base).toFixed(2)} (target ≤ 2.00)`,
);
console.log(
  `  hook, build command             ${fmt(build)}   ratio to the Bun floor ${(build / bunFloor).toFixed(2)} (target ≤ 1.50)`,
);
console.log(
  `  bare compiled Bun, reads stdin  ${fmt(bunFloor)}   (the runtime's floor; rch adds ${fmt(build - bunFloor)})`,
);
if (baseBuild !== undefined) {
  console.log(
    `  base rch hook, build command    ${fmt(baseBuild)}   ratio to the Bun floor ${(baseBuild / bunFloor).toFixed(2)} (A/B: this build ${(build / baseBuild).toFixed(2)}× the base)`,
  );
}
