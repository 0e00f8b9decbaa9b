// rch exec overhead on the real test bed (run as root: `bun bench/exec.bench.ts`).
//
//  1. no-change rebuild of a 5,000-file project: `rch exec -- cargo build` vs
//     `ssh worker 'cd <copy> && cargo build'` over the same warm master, interleaved;
//  2. the same after one file changed (an asset: rsync runs, cargo has nothing to do);
//  3. bytes rsync sends for that one-file change (--stats);
//  4. local CPU (user+sys of rch exec, its children and the ssh master) of an offloaded clean
//     build vs the CPU of the same build run locally (a build of ~2 s: the default
//     min_local_time_ms, below which rch keeps builds local anyway).
// Medians of N interleaved runs; the project is generated like testbed.md appendix B.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../src/config/schema.ts";
import { remoteProjectDir } from "../src/exec/remoteDir.ts";
import { sshArgv, sshTarget } from "../src/ssh/options.ts";
import { pushArgv, runRsync } from "../src/transfer/rsync.ts";
import { buildRules } from "../src/transfer/rules.ts";
import { startFleet } from "../test/bed/fleet.ts";
import { must } from "../test/bed/proc.ts";
import { ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";
import { generate, generateHeavy } from "./execProjects.ts";

const N = Number(process.env.BENCH_RUNS ?? 15);

async function timed(argv: string[], cwd: string, env: Record<string, string>) {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { cwd, env, stdout: "ignore", stderr: "pipe" });
  const err = await new Response(p.stderr).text();
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  const ru = p.resourceUsage();
  const cpuMs = ru ? (Number(ru.cpuTime.user) + Number(ru.cpuTime.system)) / 1000 : Number.NaN;
  return { ms, cpuMs, stderr: err };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** CPU (ms) the ssh master has used so far: it does the crypto for every multiplexed session. */
async function masterCpuMs(ssh: string[]): Promise<number> {
  const r = Bun.spawnSync([ssh[0]!, ...ssh.slice(1, -1), "-O", "check", ssh.at(-1)!], { stderr: "pipe" });
  const pid = /pid=(\d+)/.exec(r.stderr.toString())?.[1];
  if (!pid) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["rust"] }), ensureBinary()]);
  const e = rchEnv(fleet);
  const base = mkdtempSync("/tmp/rchbench-");
  try {
    Object.assign(process.env, { RCH_CACHE_DIR: e.env.RCH_CACHE_DIR, RCH_SSH_CONFIG: e.env.RCH_SSH_CONFIG });
    const w = fleet.workers[0]!;
    const worker = {
      id: w.id,
      host: w.host,
      port: w.port,
      user: w.user,
      identity_file: w.identityFile,
      total_slots: 4,
      priority: 100,
      tags: [],
      remote_root: w.remoteRoot,
      enabled: true,
    };
    const target = sshTarget(worker, defaultConfig().ssh);
    const ssh = sshArgv(target);

    const proj = join(base, "proj");
    mkdirSync(join(proj, ".git"), { recursive: true });
    const t0 = performance.now();
    generate(proj);
    console.log(`generated 5,001 files in ${(performance.now() - t0).toFixed(0)} ms`);
    const remote = remoteProjectDir(w.remoteRoot, proj);
    const rchBuild = [rch, "exec", "--", "cargo", "build"];
    const sshBuild = [...ssh, `cd ${remote} && cargo build`];
    await timed(rchBuild, proj, e.env); // first: master, full sync, build, pull
    await timed(rchBuild, proj, e.env);

    const rows: Record<string, number[]> = { ssh: [], noChange: [], sshB: [], oneFile: [] };
    let inlineBytes = "";
    const blob = join(proj, "assets", "a00", "blob0.bin");
    for (let i = 0; i < N; i++) {
      rows.ssh!.push((await timed(sshBuild, proj, e.env)).ms);
      rows.noChange!.push((await timed(rchBuild, proj, e.env)).ms);
      appendFileSync(blob, `${i}`);
      rows.sshB!.push((await timed(sshBuild, proj, e.env)).ms);
      const one = await timed([rch, "exec", "-v", "--", "cargo", "build"], proj, e.env);
      rows.oneFile!.push(one.ms);
      inlineBytes = /\((\d+) bytes of tar\)/.exec(one.stderr)?.[1] ?? inlineBytes;
    }
    const [s, nc, sb, of] = [
      median(rows.ssh!),
      median(rows.noChange!),
      median(rows.sshB!),
      median(rows.oneFile!),
    ];
    console.log(`\n5,000-file project, cargo build (no-op), ${N} interleaved runs, medians:`);
    console.log(`  ssh worker 'cd dir && cargo build'   ${s.toFixed(1)} ms`);
    console.log(
      `  rch exec, nothing changed            ${nc.toFixed(1)} ms  overhead ${(nc - s).toFixed(1)} ms  (×${(nc / s).toFixed(2)})`,
    );
    console.log(`  ssh (same, second sample)            ${sb.toFixed(1)} ms`);
    console.log(
      `  rch exec, one file changed           ${of.toFixed(1)} ms  overhead ${(of - sb).toFixed(1)} ms  (×${(of / sb).toFixed(2)})`,
    );

    appendFileSync(blob, "x");
    const rules = buildRules({
      ...defaultConfig().transfer,
      includes: [],
      excludes: defaultConfig().transfer.exclude_patterns,
      familyExcludes: ["/target/"],
      projectRoot: proj,
    });
    const stats = await runRsync(
      pushArgv({ target, compressionLevel: 3, timeoutMs: 60_000 }, proj, remote, rules, true),
      60_000,
    );
    if (!stats.ok) throw new Error(stats.reason);
    const sent = /Total bytes sent: ([\d,.]+)/.exec(stats.stats)?.[1];
    const received = /Total bytes received: ([\d,.]+)/.exec(stats.stats)?.[1];
    console.log(
      `  bytes for a one-file change: rch sends a ${inlineBytes}-byte tar inline (the file is ~20 KB)`,
    );
    console.log(`  (a full rsync of that change would send ${sent} and receive ${received} bytes: --stats)`);

    const heavyRch = join(base, "heavy-rch");
    const heavyLocal = join(base, "heavy-local");
    for (const d of [heavyRch, heavyLocal]) {
      mkdirSync(join(d, ".git"), { recursive: true });
      generateHeavy(d);
    }
    await must(["cargo", "fetch"], { cwd: heavyLocal }).catch(() => undefined);
    const localRuns: number[] = [];
    const remoteRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      rmSync(join(heavyLocal, "target"), { recursive: true, force: true });
      localRuns.push((await timed(["cargo", "build"], heavyLocal, e.env)).cpuMs);
      await timed([rch, "exec", "--", "cargo", "clean"], heavyRch, e.env);
      rmSync(join(heavyRch, "target"), { recursive: true, force: true });
      const before = await masterCpuMs(ssh);
      const r = await timed([rch, "exec", "--", "cargo", "build"], heavyRch, e.env);
      remoteRuns.push(r.cpuMs + ((await masterCpuMs(ssh)) - before));
    }
    const [lc, rc] = [median(localRuns), median(remoteRuns)];
    console.log(`\nclean cargo build of a 100-module crate, CPU user+sys (median of 3):`);
    console.log(`  local cargo build                    ${lc.toFixed(0)} ms`);
    console.log(
      `  rch exec (+ children + ssh master)   ${rc.toFixed(0)} ms  = ${((100 * rc) / lc).toFixed(1)} % of local`,
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
    e.cleanup();
    await fleet.stop();
  }
}

await main();
