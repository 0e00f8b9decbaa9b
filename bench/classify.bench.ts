// classify() in-process cost (targets in BENCHMARKS.md: median ≤ 1 µs for non-build lines, ≤ 10 µs
// for builds).
// Run: bun bench/classify.bench.ts
// For every line of each corpus: warm up, time a batch of calls, take ns/call; report the median
// (and p90/max) over the corpus and the ratio to the target.

import { classify } from "../src/classify/index.ts";
import { build, nonBuild } from "./corpus.ts";

function measure(lines: readonly string[], batch: number): number[] {
  let sink = 0;
  const perLine: number[] = [];
  for (const line of lines) {
    for (let i = 0; i < batch; i++) sink += classify(line).kind.length; // warm-up
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < batch; i++) sink += classify(line).kind.length;
    perLine.push((Bun.nanoseconds() - t0) / batch);
  }
  if (sink === 42) console.log(""); // keep the calls observable
  return perLine.sort((a, b) => a - b);
}

function report(name: string, lines: readonly string[], batch: number, targetNs: number): void {
  // Two passes; the second one is reported (JIT settled).
  measure(lines, batch);
  const t = measure(lines, batch);
  const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * t.length))]!;
  const median = q(0.5);
  const offloaded = lines.filter((l) => classify(l).kind === "offload").length;
  console.log(
    `${name.padEnd(10)} ${String(lines.length).padStart(4)} lines (${offloaded} offloaded)  ` +
      `median ${median.toFixed(0).padStart(5)} ns/call  p90 ${q(0.9).toFixed(0).padStart(5)} ns  ` +
      `max ${t[t.length - 1]!.toFixed(0).padStart(6)} ns  target ≤ ${targetNs} ns  ` +
      `ratio ${(median / targetNs).toFixed(3)}`,
  );
}

report("non-build", nonBuild, 2000, 1_000);
report("build", build, 500, 10_000);
