// What the toolchain identity adds to `rch exec` (target in BENCHMARKS.md: ≤ 1 ms p50 on the warm
// path, i.e. with the identity cached; no process spawned): familyToolchain() — the one call
// makePlan makes for it — timed in-process, per family, warm (the cache holds the identity) and
// cold (cache file removed: the tool is asked once, e.g. rustc -vV).
// Run: bun bench/toolchain.bench.ts
// It needs the machine's rustup (~/.cargo/bin, ~/.rustup) with stable and nightly, gcc and cmake.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { familyToolchain } from "../src/exec/family.ts";

const cache = mkdtempSync("/tmp/rch-tcbench-");
process.env.RCH_CACHE_DIR = cache;
const rustup = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:/usr/bin:/bin` };
const cmakeDir = mkdtempSync("/tmp/rch-tcbench-cmake-");
await Bun.write(join(cmakeDir, "CMakeLists.txt"), "cmake_minimum_required(VERSION 3.13)\nproject(p C)\n");
Bun.spawnSync(["cmake", "-S", cmakeDir, "-B", join(cmakeDir, "build"), "-G", "Ninja"], { stdout: "ignore" });

const CASES: [string, string[], NodeJS.ProcessEnv, string][] = [
  ["cargo build (rustup default)", ["cargo", "build"], rustup, process.cwd()],
  ["cargo +nightly build", ["cargo", "+nightly", "build"], rustup, process.cwd()],
  ["gcc -c x.c", ["gcc", "-c", "x.c"], rustup, process.cwd()],
  ["cmake --build build (4 tools)", ["cmake", "--build", "build"], rustup, cmakeDir],
];

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

for (const [name, argv, env, cwd] of CASES) {
  const ctx = { root: cwd, cwd, env };
  rmSync(join(cache, "toolchain-ids.json"), { force: true });
  const c0 = performance.now();
  const first = await familyToolchain(argv, ctx);
  const cold = performance.now() - c0;
  if (!first.ok) throw new Error(`${name}: ${first.reason}`);
  const warm: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t0 = performance.now();
    await familyToolchain(argv, ctx);
    warm.push(performance.now() - t0);
  }
  warm.sort((a, b) => a - b);
  const p50 = pct(warm, 0.5);
  console.log(
    `${name.padEnd(32)} warm p50 ${p50.toFixed(3)} ms  p95 ${pct(warm, 0.95).toFixed(3)} ms  ` +
      `cold ${cold.toFixed(1)} ms  target p50 ≤ 1 ms  ratio ${p50.toFixed(3)}`,
  );
}
rmSync(cache, { recursive: true, force: true });
rmSync(cmakeDir, { recursive: true, force: true });
