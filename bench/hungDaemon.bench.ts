// A daemon that is alive but does not answer (SIGSTOP): how much later does a build start here,
// and how long after it has finished does `rch exec` exit? Run as root:
//   bun bench/hungDaemon.bench.ts
// Side by side, interleaved, N rounds: the same tiny local build run directly (`sh -c …`), and
// through `rch exec` with rchd stopped. The build writes CLOCK_REALTIME stamps when it starts and
// ends, so the delay before and the delay after are measured apart.
// RCH_BENCH_BASE=/path/to/an/earlier/rch adds that rch's `exec` against the same stopped rchd.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFleet } from "../test/bed/fleet.ts";
import { baseRchEnv, ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";

const N = Number(process.env.BENCH_RUNS ?? 9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Wall clock in ns, comparable with `date +%s%N` (timeOrigin is the epoch time of now() = 0). */
const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["cc"] }), ensureBinary()]);
  const baseRch = process.env.RCH_BENCH_BASE;
  // With a base rch, both run against the same stopped rchd, so the config is one it understands.
  const e = baseRch ? baseRchEnv(fleet) : rchEnv(fleet);
  const proj = mkdtempSync("/tmp/rchbench-hung-");
  try {
    mkdirSync(join(proj, ".git"));
    // `make` is a build rch would offload; the recipe stamps its start and end (ns, wall clock).
    writeFileSync(
      join(proj, "Makefile"),
      "all:\n\t@date +%s%N > start.ns\n\t@sleep 0.3\n\t@date +%s%N > end.ns\n.PHONY: all\n",
    );
    // The first run starts rchd (and builds remotely); then it is stopped for the measured runs.
    const first = Bun.spawnSync([rch, "exec", "--", "make"], { cwd: proj, env: e.env });
    if (first.exitCode !== 0) throw new Error(`first build failed: ${first.stderr}`);
    const pid = Number(readFileSync(join(e.env.RCH_CACHE_DIR!, "rch.sock.pid"), "utf8"));
    const stamps = () => ({
      start: BigInt(readFileSync(join(proj, "start.ns"), "utf8").trim()),
      end: BigInt(readFileSync(join(proj, "end.ns"), "utf8").trim()),
    });
    const round = async (argv: string[]) => {
      const t0 = nowNs();
      const p = Bun.spawn(argv, { cwd: proj, env: e.env, stdout: "ignore", stderr: "pipe" });
      const err = await new Response(p.stderr).text();
      if ((await p.exited) !== 0) throw new Error(`${argv.join(" ")}: ${err}`);
      const t1 = nowNs();
      const s = stamps();
      return { before: Number(s.start - t0) / 1e6, after: Number(t1 - s.end) / 1e6, err };
    };
    process.kill(pid, "SIGSTOP");
    const plain = { before: [] as number[], after: [] as number[] };
    const hung = { before: [] as number[], after: [] as number[] };
    // RCH_BENCH_BASE=/path/to/an/earlier/rch: the same build through that rch, same stopped rchd.
    const base = { before: [] as number[], after: [] as number[] };
    let line = "";
    let baseLine = "";
    try {
      for (let i = 0; i < N; i++) {
        const a = await round(["make"]);
        plain.before.push(a.before);
        plain.after.push(a.after);
        const b = await round([rch, "exec", "--", "make"]);
        hung.before.push(b.before);
        hung.after.push(b.after);
        line = b.err.trim();
        if (baseRch) {
          const c = await round([baseRch, "exec", "--", "make"]);
          base.before.push(c.before);
          base.after.push(c.after);
          baseLine = c.err.trim();
        }
      }
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const [pb, pa, hb, ha] = [plain.before, plain.after, hung.before, hung.after].map(median) as [
      number,
      number,
      number,
      number,
    ];
    console.log(`rchd stopped with SIGSTOP; ${N} interleaved rounds, medians (ms):`);
    console.log(`                          before the build   after the build`);
    console.log(`  make                    ${pb.toFixed(1).padStart(16)} ${pa.toFixed(1).padStart(17)}`);
    console.log(`  rch exec -- make        ${hb.toFixed(1).padStart(16)} ${ha.toFixed(1).padStart(17)}`);
    if (baseRch) {
      const [bb, ba] = [median(base.before), median(base.after)];
      console.log(`  base rch exec -- make   ${bb.toFixed(1).padStart(16)} ${ba.toFixed(1).padStart(17)}`);
      console.log(`  base rch's line: ${baseLine}`);
    }
    console.log(`  rch's line: ${line}`);
  } finally {
    rmSync(proj, { recursive: true, force: true });
    e.cleanup();
    await fleet.stop();
  }
}

await main();
