// The PATH shim's cost on the calls it does not offload, against the real tool called directly,
// side by side: interleaved rounds (one of each command per round, so a noisy phase of the
// machine hits all alike), medians of the wall time around each spawn.
//   (a) a help/version query, settled by the shim's sh alone
//   (b) a call inside a build rch placed (RCH_NESTED set), settled by the sh alone
//   (c) a non-build that only rch's classifier can recognise (`make clean`): one Bun start more
// Run: bun run build && bun bench/shim.bench.ts   (RUNS=N rounds, default 300)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DECIDE_LOCAL } from "../src/shim/wrapper.ts";

const rch = resolve(import.meta.dir, "../dist/rch");
const dir = mkdtempSync(join(tmpdir(), "rch-shim-bench-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const runs = Number(process.env.RUNS ?? 300);
const shim = join(dir, "shim");
const make = Bun.which("make", { PATH: "/usr/bin:/bin" });
if (!make) throw new Error("make is not installed");

const env = {
  PATH: `${shim}:/usr/bin:/bin`,
  HOME: dir,
  RCH_CONFIG_DIR: join(dir, "cfg"),
  RCH_CACHE_DIR: join(dir, "cache"),
  RCH_STATE_DIR: join(dir, "state"),
};
// Every spawn has a deadline: a hung command fails the bench instead of stalling it.
const DEADLINE = { timeout: 30_000, killSignal: "SIGKILL" } as const;
const install = Bun.spawnSync([rch, "shim", "install", shim], {
  env,
  stdout: "pipe",
  stderr: "pipe",
  ...DEADLINE,
});
if (install.exitCode !== 0) throw new Error(`rch shim install failed: ${install.stderr}`);
const mk = join(dir, "Makefile");
writeFileSync(mk, "all:\n\t@:\nclean:\n\t@:\n.PHONY: all clean\n");

type Cmd = { label: string; argv: string[]; nested?: boolean; env?: Record<string, string> };
const pairs: [Cmd, Cmd][] = [
  [
    { label: "make --version, direct", argv: [make, "--version"] },
    { label: "(a) through the shim, sh decides", argv: [join(shim, "make"), "--version"] },
  ],
  [
    { label: "make -f M all, direct", argv: [make, "-s", "-f", mk, "all"] },
    {
      label: "(b) through the shim, marker set",
      argv: [join(shim, "make"), "-s", "-f", mk, "all"],
      nested: true,
    },
  ],
  [
    { label: "make -f M clean, direct", argv: [make, "-s", "-f", mk, "clean"] },
    { label: "(c) through the shim, rch decides", argv: [join(shim, "make"), "-s", "-f", mk, "clean"] },
  ],
];
// What (c) adds, in parts: the sh (as in (a)) plus one `rch shim decide`, timed here alone, as the
// shim runs it (JIT off, src/shell/shortRun.ts) and with Bun's default JIT, side by side.
const decideArgv = [rch, "shim", "decide", "make", "-s", "-f", mk, "clean"];
const decide: Cmd = {
  label: "rch shim decide make … clean, alone",
  argv: decideArgv,
  env: { BUN_JSC_useJIT: "0" },
};
const decideJit: Cmd = { label: "the same with the JIT on", argv: decideArgv };
const cmds: Cmd[] = [
  { label: "/bin/true (the spawn itself)", argv: ["/bin/true"] },
  ...pairs.flat(),
  decideJit,
  decide,
];

function once(c: Cmd): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(c.argv, {
    cwd: dir,
    env: { ...env, ...(c.nested ? { RCH_NESTED: "1" } : {}), ...c.env },
    stdout: "pipe",
  });
  const ms = performance.now() - t0;
  if (r.exitCode !== (c === decide || c === decideJit ? DECIDE_LOCAL : 0))
    throw new Error(`${c.argv.join(" ")} exited ${r.exitCode}`);
  return ms;
}

// A shim that asked rch would show rch's decision in the (c) row only: check the path first.
const direct = Bun.spawnSync([join(shim, "make"), "--version"], { env, stdout: "pipe", ...DEADLINE });
if (!direct.stdout.toString().startsWith("GNU Make")) throw new Error("the shim did not run the real make");

const samples = cmds.map(() => [] as number[]);
for (let round = -30; round < runs; round++) {
  cmds.forEach((c, i) => {
    const ms = once(c);
    if (round >= 0) samples[i]!.push(ms);
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const med = samples.map(median);
const fmt = (ms: number) => `${ms.toFixed(2)} ms`.padStart(9);
console.log(`shim bench (${runs} interleaved rounds, medians of wall time around each spawn)`);
console.log(`  ${cmds[0]!.label.padEnd(36)} ${fmt(med[0]!)}`);
pairs.forEach(([d, s], k) => {
  const a = med[1 + 2 * k]!;
  const b = med[2 + 2 * k]!;
  console.log(`  ${d.label.padEnd(36)} ${fmt(a)}`);
  console.log(`  ${s.label.padEnd(36)} ${fmt(b)}   ratio ${(b / a).toFixed(2)} (+${(b - a).toFixed(2)} ms)`);
});
console.log(`  ${decide.label.padEnd(36)} ${fmt(med.at(-1)!)}   (the Bun start and the decision in (c))`);
console.log(`  ${decideJit.label.padEnd(36)} ${fmt(med.at(-2)!)}`);
