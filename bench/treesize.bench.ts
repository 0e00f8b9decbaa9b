// Cost against tree size (issue 11), on the real test bed (run as root: `bun bench/treesize.bench.ts`).
//
// Projects of 5,000 / 50,000 / 200,000 files (100 files a dir, 10 dirs a level: a realistic fan-out)
// with a Makefile whose target is up to date, one bed worker, each copy synced once. Then interleaved
// rounds per size: plain `ssh worker 'cd copy && make'` over the same ControlMaster rch uses,
// `rch exec -- make` with nothing changed, and `rch exec -v -- make` after one file changed. The
// verbose run's detail lines say where the time goes (scan, sync, remote).
// Env: BENCH_RUNS (rounds, default 7), BENCH_SIZES (default "5000,50000,200000"), RCH_BENCH_BASE
// (another rch: its no-change build joins the same rounds, with a project copy, an rch
// environment and a daemon of its own; RCH_BENCH_BASE_KEYS=all when it knows every workers.toml
// key this rch writes).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../src/config/schema.ts";
import { remoteProjectDir } from "../src/exec/remoteDir.ts";
import { sshArgv, sshTarget } from "../src/ssh/options.ts";
import { workerConfig } from "../test/bed/client.ts";
import { startFleet } from "../test/bed/fleet.ts";
import { baseRchEnv, ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";
import { median, timed } from "./timing.ts";

const N = Number(process.env.BENCH_RUNS ?? 7);
// No timing gate: a make with nothing to do is always faster here, and one early fallback would
// otherwise keep every later run local (and time a local run as if it were remote).
const ALWAYS_REMOTE = "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n";
const SIZES = (process.env.BENCH_SIZES ?? "5000,50000,200000").split(",").map(Number);

/** `files` small sources, 100 a dir, dirs 10 a level; an up-to-date Makefile target. */
function generate(root: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const d = Math.floor(i / 100);
    const dir = join(root, "src", `a${Math.floor(d / 100)}`, `b${Math.floor(d / 10) % 10}`, `c${d % 10}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.c`), `int f${i}(void) { return ${i}; }\n`);
  }
  writeFileSync(join(root, "Makefile"), "all: out.txt\nout.txt: Makefile\n\techo built > out.txt\n");
}

/** The numbers a `-v` run prints about its own phases (its lines carry "[N ms]" since start). */
function detail(stderr: string): string {
  const scan = /scan: [^\n]* in ([\d.]+) ms/.exec(stderr)?.[1];
  const sync = /\[(\d+) ms\] (sync: [^\n(]*)/.exec(stderr);
  const remote = /\[(\d+) ms\] remote: /.exec(stderr)?.[1];
  const took = sync && remote ? `${Number(remote) - Number(sync[1])} ms` : "?";
  return `scan ${scan ?? "-"} ms; ${sync?.[2]?.trim() ?? "sync: ?"} at ${sync?.[1] ?? "?"} ms; then remote ${took}`;
}

/** rchd's RSS and the CPU it uses over 10 s with nothing changing (its view stays open). */
async function daemonIdle(rch: string, cwd: string, env: Record<string, string>): Promise<string> {
  const st = await timed([rch, "status", "--format", "json"], cwd, env).catch(() => undefined);
  const p = Bun.spawnSync([rch, "status", "--format", "json"], { cwd, env });
  const pid = (JSON.parse(p.stdout.toString()) as { daemon?: { pid?: number } }).daemon?.pid;
  if (!st || !pid) return "?";
  const ticks = () => {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(f[11]) + Number(f[12]);
  };
  const t0 = ticks();
  await Bun.sleep(10_000); // a measurement window, not a synchronisation
  const cpuMs = (ticks() - t0) * 10;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return `RSS ${(Number(rss) / 1024).toFixed(0)} MiB, CPU ${cpuMs} ms in 10 s`;
}

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: [] }), ensureBinary()]);
  const e = rchEnv(fleet);
  writeFileSync(join(e.dir, "config", "config.toml"), ALWAYS_REMOTE);
  const base = mkdtempSync("/tmp/rchbench-tree-");
  const stops: (() => Promise<void>)[] = [];
  try {
    const w = fleet.workers[0]!;
    const worker = workerConfig(w, { min_free_gb: 10 });
    Object.assign(process.env, { RCH_CACHE_DIR: e.env.RCH_CACHE_DIR, RCH_SSH_CONFIG: e.env.RCH_SSH_CONFIG });
    const ssh = sshArgv(sshTarget(worker, defaultConfig().ssh));
    const lines: string[] = [];
    const res: Record<number, { ssh: number; no: number; sshB: number; one: number }> = {};
    for (const size of SIZES) {
      // A fresh rchd per size: its idle figures are then this tree's view alone.
      await timed([rch, "daemon", "stop"], base, e.env).catch(() => undefined);
      const proj = join(base, `p${size}`);
      mkdirSync(join(proj, ".git"), { recursive: true });
      generate(proj, size);
      const make = [rch, "exec", "--", "make"];
      await timed(make, proj, e.env); // master, full sync, build, pull out.txt
      await timed(make, proj, e.env);
      const clientId = readFileSync(join(e.env.RCH_STATE_DIR!, "client-id"), "utf8").trim();
      const remote = remoteProjectDir(w.remoteRoot, proj, clientId);
      const sshMake = [...ssh, `cd ${remote} && make`];
      const rows = {
        ssh: [] as number[],
        no: [] as number[],
        sshB: [] as number[],
        one: [] as number[],
        base: [] as number[],
      };
      const baseRch = process.env.RCH_BENCH_BASE;
      const baseEnv = baseRch ? baseRchEnv(fleet) : undefined;
      // Its daemon and dirs go when the bench ends, also when it throws.
      if (baseRch && baseEnv)
        stops.push(async () => {
          await timed([baseRch, "daemon", "stop"], base, baseEnv.env).catch(() => undefined);
          baseEnv.cleanup();
        });
      if (baseEnv) {
        writeFileSync(join(baseEnv.dir, "config", "config.toml"), ALWAYS_REMOTE);
        // A base that knows min_free_gb gets the bed's (0): the default (10 GB) would keep every
        // build local on the bed's small tmpfs, and time a local run.
        if (process.env.RCH_BENCH_BASE_KEYS === "all")
          writeFileSync(join(baseEnv.dir, "config", "workers.toml"), fleet.workersToml());
      }
      const baseProj = join(base, `b${size}`);
      if (baseRch && baseEnv) {
        mkdirSync(join(baseProj, ".git"), { recursive: true });
        generate(baseProj, size);
        await timed([baseRch, "exec", "--", "make"], baseProj, baseEnv.env);
        await timed([baseRch, "exec", "--", "make"], baseProj, baseEnv.env);
      }
      const details: string[] = [];
      for (let i = 0; i < N; i++) {
        rows.ssh.push((await timed(sshMake, proj, e.env)).ms);
        rows.no.push((await timed(make, proj, e.env)).ms);
        if (baseRch && baseEnv) {
          const b = await timed([baseRch, "exec", "-v", "--", "make"], baseProj, baseEnv.env);
          if (!/ remote: make exited 0/.test(b.stderr))
            throw new Error(`base rch did not build remotely:\n${b.stderr}`);
          rows.base.push(b.ms);
        }
        appendFileSync(join(proj, "src", "a0", "b0", "c0", "f0.c"), `/* ${i} */\n`);
        rows.sshB.push((await timed(sshMake, proj, e.env)).ms);
        const one = await timed([rch, "exec", "-v", "--", "make"], proj, e.env);
        rows.one.push(one.ms);
        details.push(detail(one.stderr));
      }
      const noV = await timed([rch, "exec", "-v", "--", "make"], proj, e.env);
      if (process.env.BENCH_DEBUG) console.log(noV.stderr);
      const r = {
        ssh: median(rows.ssh),
        no: median(rows.no),
        sshB: median(rows.sshB),
        one: median(rows.one),
      };
      res[size] = r;
      lines.push(
        `${String(size).padStart(7)} files: ssh ${r.ssh.toFixed(0)} ms | rch no-change ${r.no.toFixed(0)} ms ` +
          `(overhead ${(r.no - r.ssh).toFixed(0)}, ×${(r.no / r.ssh).toFixed(2)} ssh) | ` +
          `one change ${r.one.toFixed(0)} ms (overhead ${(r.one - r.sshB).toFixed(0)})`,
        `          no-change -v: ${detail(noV.stderr)}`,
        `          one change -v (last): ${details.at(-1)}`,
      );
      if (rows.base.length) {
        const b = median(rows.base);
        lines.push(
          `          base rch no-change ${b.toFixed(0)} ms (×${(b / r.ssh).toFixed(2)} ssh); this rch ÷ base ×${(r.no / b).toFixed(2)}`,
        );
        rmSync(baseProj, { recursive: true, force: true });
      }
      console.log(lines.slice(-3).join("\n"));
      lines.push(`          rchd idle with this tree watched: ${await daemonIdle(rch, base, e.env)}`);
      console.log(lines.at(-1));
      rmSync(proj, { recursive: true, force: true });
    }
    const lo = res[SIZES[0]!];
    const hi = res[SIZES.at(-1)!];
    console.log(`\n${N} interleaved rounds per size, medians:`);
    for (const l of lines) console.log(l);
    if (lo && hi && SIZES.length > 1) {
      const over = (x: { no: number; ssh: number }) => x.no - x.ssh;
      const overOne = (x: { one: number; sshB: number }) => x.one - x.sshB;
      console.log(
        `no-change overhead ${SIZES.at(-1)} vs ${SIZES[0]}: ×${(over(hi) / over(lo)).toFixed(2)} (goal ≤ 1.25)`,
      );
      console.log(
        `one-change overhead ${SIZES.at(-1)} vs ${SIZES[0]}: ×${(overOne(hi) / overOne(lo)).toFixed(2)} (goal ≤ 1.5)`,
      );
      console.log(`${SIZES[0]} no-change vs plain ssh: ×${(lo.no / lo.ssh).toFixed(2)} (goal ≤ 2)`);
    }
  } finally {
    for (const stop of stops) await stop();
    await timed([rch, "daemon", "stop"], base, e.env).catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    e.cleanup();
    await fleet.stop();
  }
}

await main();
