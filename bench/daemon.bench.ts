// rchd benchmarks (targets in BENCHMARKS.md). Run: bun bench/daemon.bench.ts [selection|rss|dedup]…
//  1. selection: p99 select latency with 100 configured workers and 50 concurrent clients, each
//     round 50 selects fired at the same instant (workers simulated: `daemon run --no-heartbeat`;
//     that is the only thing simulated) ≤ 5 ms. Rounds are bursts 10 ms apart, as builds are; a
//     fourth trial runs them back to back (saturation, ~16,000 messages/s) and is reported only.
//  2. rss: daemon VmRSS when idle with 20 workers ≤ 80 MiB (real loopback sshd workers from the
//     test bed when run as root, heartbeats and all; simulated workers otherwise)
//  3. dedup: wall time of 8 identical concurrent builds ≤ 1.2 × one build: 8 × `rch exec -- make
//     -B` of a generated C project (~1 s of gcc -O2) against a bed worker. While `rch exec` is not yet wired to
//     rchd, the same through the client API with a real `cc -O2` over ssh per leader.
// Uses dist/rch when it exists (what users run), else `bun src/bin/rch.ts`; RCH_BENCH_DAEMON=path
// runs another build instead (A/B against an older commit).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import type { Lease, Selection } from "../src/protocol/selector.ts";
import { type Fleet, sshArgs, startFleet } from "../test/bed/fleet.ts";
import {
  admin,
  canConnect,
  type DaemonProc,
  fakeWorkersToml,
  makeEnv,
  type RchEnv,
  selector,
  waitFor,
} from "../test/daemon/helpers.ts";

const REPO = resolve(import.meta.dir, "..");
const DIST = join(REPO, "dist", "rch");
const DAEMON = process.env.RCH_BENCH_DAEMON
  ? [process.env.RCH_BENCH_DAEMON, "daemon", "run"]
  : existsSync(DIST)
    ? [DIST, "daemon", "run"]
    : [process.execPath, join(REPO, "src/bin/rch.ts"), "daemon", "run"];
const isRoot = process.getuid?.() === 0;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { n: s.length, median: q(0.5), p90: q(0.9), p99: q(0.99), max: s.at(-1) ?? Number.NaN };
}

const f = (ms: number) => `${ms.toFixed(2)} ms`;

async function daemon(rch: RchEnv, extra: string[] = []): Promise<DaemonProc> {
  const proc = Bun.spawn([...DAEMON, ...extra], { env: rch.env, stdout: "ignore", stderr: "ignore" });
  await waitFor("daemon", () => canConnect(rch.paths), 10_000);
  const stop = async () => {
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await proc.exited;
    clearTimeout(t);
  };
  return { proc, pid: proc.pid, log: () => "", stop, kill: stop };
}

async function selection(): Promise<boolean> {
  const rch = makeEnv();
  const metricsPort = 20_000 + Math.floor(Math.random() * 20_000);
  rch.writeConfig({ logLevel: "info", daemon: { metrics_port: metricsPort, heartbeat_interval_s: 30 } }); // info: what users run with
  rch.writeWorkers(fakeWorkersToml(100, 16));
  const d = await daemon(rch, ["--no-heartbeat"]);
  try {
    const clients = Array.from({ length: 50 }, () => selector(rch));
    let lat: number[] = [];
    // One round: all 50 clients select at the same instant (measured); once every answer is in,
    // the leases are released (not measured: a build runs in between, releases do not arrive in
    // the same instant as the selects).
    const round = async (record: boolean) => {
      const selections = await Promise.all(
        clients.map(async (c, i) => {
          const t0 = performance.now();
          const s = await c.select({
            projectRoot: `/bench/p${i % 17}`,
            kind: "make",
            argv: ["make", String(i)],
            env: {},
            sourceState: `${Math.random()}`,
            preferredWorkers: [],
          });
          if (record) lat.push(performance.now() - t0);
          if (s.kind !== "worker") throw new Error(`expected a lease, got ${s.kind}`);
          return s.lease;
        }),
      );
      await Promise.all(selections.map((l) => l.release({ kind: "remote", exitCode: 0, remoteMs: 1 })));
    };
    // Warm-up: connections, and JIT — JSC compiles hot code in tiers over the first ~10,000
    // calls, on a background thread that competes for the 2 vCPUs. A daemon runs for days; the
    // figure that matters is its steady state, not its first second.
    for (let i = 0; i < 100; i++) await round(false);
    // Three trials of 100 bursts; the verdict uses the median trial, all are printed (on a shared
    // 2-vCPU machine one noisy neighbour can spoil a trial). Between bursts the leases are released
    // and the clients stay quiet for QUIET_MS: agents' builds take seconds, so 50 selects arriving
    // together is the worst realistic moment, not 50 selects every 3 ms for ever.
    const QUIET_MS = 10;
    const trials: ReturnType<typeof stats>[] = [];
    for (let t = 0; t < 4; t++) {
      const saturate = t === 3;
      lat = [];
      for (let i = 0; i < 100; i++) {
        await round(true);
        if (!saturate) await Bun.sleep(QUIET_MS);
      }
      trials.push(stats(lat));
    }
    for (const c of clients) c.close();
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    const q = (x: string) =>
      Number(new RegExp(`rch_select_duration_seconds\\{quantile="${x}"\\} (\\S+)`).exec(metrics)?.[1]) * 1000;
    for (const [i, s] of trials.entries()) {
      const what = i === 3 ? "back to back, for information" : `bursts ${QUIET_MS} ms apart`;
      console.log(
        `  trial ${i + 1} (${what}): median ${f(s.median)}  p90 ${f(s.p90)}  p99 ${f(s.p99)}  max ${f(s.max)}`,
      );
    }
    console.log(`  inside the daemon (select handler, last 4096): p50 ${f(q("0.5"))}  p99 ${f(q("0.99"))}`);
    const s = trials.slice(0, 3).sort((a, b) => a.p99 - b.p99)[1]!;
    const ok = s.p99 <= 5;
    console.log(
      `selection (100 workers, 50 concurrent clients, 3 × ${s.n} selects, median trial): median ${f(s.median)}  p90 ${f(s.p90)}  p99 ${f(s.p99)}  → ${ok ? "OK" : "FAIL"} (target p99 ≤ 5 ms)`,
    );
    return ok;
  } finally {
    await d.stop();
    rch.cleanup();
  }
}

function rssMiB(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  return kb / 1024;
}

async function rss(): Promise<boolean> {
  let fleet: Fleet | undefined;
  const rch = makeEnv();
  try {
    if (isRoot) {
      fleet = await startFleet({ workers: 20, toolchains: ["cc"] });
      const real = makeEnv(fleet);
      rch.cleanup();
      Object.assign(rch, real);
      rch.writeConfig({ daemon: { heartbeat_interval_s: 2 } });
      rch.writeWorkers(fleet.workersToml());
    } else {
      rch.writeWorkers(fakeWorkersToml(20));
    }
    const d = await daemon(rch, isRoot ? [] : ["--no-heartbeat"]);
    try {
      const a = admin(rch);
      await waitFor(
        "all heartbeats ok",
        async () => (await a.status(0)).workers.every((w) => w.health === "ok"),
        20_000,
      );
      a.close();
      const samples: number[] = [];
      for (let i = 0; i < 10; i++) {
        await Bun.sleep(500); // idle: only heartbeats (every 2 s) run
        samples.push(rssMiB(d.pid));
      }
      const s = stats(samples);
      const ok = s.max <= 80;
      console.log(
        `daemon RSS idle, 20 ${isRoot ? "real (bed sshd, heartbeats every 2 s)" : "simulated"} workers: median ${s.median.toFixed(1)} MiB  max ${s.max.toFixed(1)} MiB  → ${ok ? "OK" : "FAIL"} (target ≤ 80 MiB)`,
      );
      return ok;
    } finally {
      await d.stop();
    }
  } finally {
    rch.cleanup();
    await fleet?.stop();
  }
}

/** A fixed real build: cc -O2 of a generated 150-function file on the worker (~0.6 s here). */
const BUILD = `d=$(mktemp -d); awk 'BEGIN { for (i = 0; i < 150; i++) printf "int f%d(int x){int s=%d;for(int i=0;i<x;i++){s+=i*%d^(s>>3);}return s;}\\n", i, i, i+1 }' > $d/b.c; cc -O2 -c -o $d/b.o $d/b.c && echo built $(wc -c < $d/b.o) bytes; rm -rf $d`;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function verdict(what: string, singles: number[], eights: number[], hits: number): boolean {
  const s1 = stats(singles).median;
  const s8 = stats(eights).median;
  const ok = s8 <= 1.2 * s1;
  console.log(
    `dedup (${what}, ${singles.length} runs): one build ${f(s1)}, 8 identical concurrent ${f(s8)} = ${(s8 / s1).toFixed(2)}× (dedup hits ${hits}) → ${ok ? "OK" : "FAIL"} (target ≤ 1.2×)`,
  );
  return ok;
}

/** A C project whose `make -B` really compiles for about a second here: 4 generated files of
 * 150 functions each at -O2 (deterministic, so every run does the same work). */
function writeCProject(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const files = ["a", "b", "c", "d"];
  for (const [k, name] of files.entries()) {
    const fns = Array.from(
      { length: 150 },
      (_, i) =>
        `int ${name}${i}(int x){int s=${i + k};for(int j=0;j<x;j++){s+=j*${i + 1}^(s>>3);if(s%7==${i % 7})s-=j;}return s;}`,
    );
    writeFileSync(join(dir, `${name}.c`), `${fns.join("\n")}\n`);
  }
  writeFileSync(join(dir, "main.c"), "int main(void){return 0;}\n");
  const objs = [...files, "main"].map((n) => `${n}.o`).join(" ");
  writeFileSync(
    join(dir, "Makefile"),
    `all: prog\nprog: ${objs}\n\tcc -o $@ ${objs}\n%.o: %.c\n\tcc -O2 -c -o $@ $<\n`,
  );
}

/** The real thing: 8 × `rch exec -- make -B` of that project, against a bed worker. */
async function dedupExec(rch: RchEnv): Promise<boolean | undefined> {
  const dir = join(rch.dir, "cproj");
  writeCProject(dir);
  const bin = existsSync(DIST) ? [DIST] : [process.execPath, join(REPO, "src/bin/rch.ts")];
  const build = async () => {
    const p = Bun.spawn([...bin, "exec", "--", "make", "-B"], {
      cwd: dir,
      env: rch.env,
      stdout: "ignore",
      stderr: "ignore",
    });
    if ((await p.exited) !== 0) throw new Error("rch exec -- make -B failed");
  };
  await build(); // starts the daemon, opens the ssh master, first sync
  await build();
  const a = admin(rch);
  const before = (await a.status(0).catch(() => undefined))?.stats;
  if (!before || before.remoteJobs === 0) return undefined; // exec does not go through rchd (yet)
  const singles: number[] = [];
  const eights: number[] = [];
  for (let i = 0; i < 5; i++) {
    singles.push(await time(build));
    eights.push(await time(() => Promise.all(Array.from({ length: 8 }, build))));
  }
  const hits = (await a.status(0)).stats.dedupHits - before.dedupHits;
  a.close();
  return verdict("real `rch exec -- make -B`, 5 files of C at -O2, on a bed worker", singles, eights, hits);
}

/** Without exec wired to the daemon: the client API, each leader running a real cc -O2 over ssh. */
async function dedupClientApi(rch: RchEnv, fleet: Fleet): Promise<boolean> {
  const d = await daemon(rch);
  const lead = async (lease: Lease) => {
    const t0 = performance.now();
    const p = Bun.spawn(["ssh", ...sshArgs(fleet.worker(lease.worker.id), { mux: true }), BUILD], {
      stdout: "pipe",
    });
    for await (const c of p.stdout) lease.onOutput?.(1, c);
    const code = await p.exited;
    await lease.release({ kind: "remote", exitCode: code, remoteMs: performance.now() - t0 });
  };
  const one = async (s: Selection) => {
    if (s.kind === "worker") return lead(s.lease);
    if (s.kind === "attach") {
      const sink = new PassThrough();
      sink.resume();
      await s.attachment.follow(sink, sink);
      return;
    }
    throw new Error(`unexpected local: ${s.reason}`);
  };
  let n = 0;
  const spec = () => ({
    projectRoot: "/bench/dedup",
    kind: "make",
    argv: ["make"],
    env: {},
    sourceState: `v${n++}`,
    preferredWorkers: [],
  });
  try {
    for (let i = 0; i < 2; i++) await one(await selector(rch).select(spec())); // warm the ssh masters
    const singles: number[] = [];
    const eights: number[] = [];
    for (let i = 0; i < 5; i++) {
      singles.push(await time(async () => one(await selector(rch).select(spec()))));
      const same = spec();
      eights.push(
        await time(() =>
          Promise.all(Array.from({ length: 8 }, async () => one(await selector(rch).select(same)))),
        ),
      );
    }
    const hits = (await admin(rch).status(0)).stats.dedupHits;
    return verdict("client API, real cc -O2 over ssh on a bed worker", singles, eights, hits);
  } finally {
    await d.stop();
  }
}

async function dedup(): Promise<boolean> {
  if (!isRoot) {
    console.log("dedup: needs root for the sshd test bed (test/bed); skipped");
    return true;
  }
  const fleet = await startFleet({ workers: 2, toolchains: ["cc"] });
  const rch = makeEnv(fleet);
  rch.writeConfig({ logLevel: "info" });
  rch.writeWorkers(fleet.workersToml());
  try {
    const viaExec = await dedupExec(rch);
    if (viaExec !== undefined) return viaExec;
    console.log("dedup: `rch exec` does not use rchd yet; measuring through the client API instead");
    await stopAutoStarted(rch);
    return await dedupClientApi(rch, fleet);
  } finally {
    await stopAutoStarted(rch);
    await fleet.stop();
    rch.cleanup();
  }
}

/** The daemon `rch exec` started on its own (not our child): stop it by its pid file. */
async function stopAutoStarted(rch: RchEnv): Promise<void> {
  if (!existsSync(rch.paths.pid)) return;
  const pid = Number(readFileSync(rch.paths.pid, "utf8"));
  try {
    process.kill(pid, "SIGTERM");
    await waitFor("the daemon to exit", () => !existsSync(rch.paths.pid), 5000);
  } catch {
    // already gone
  }
}

const which = process.argv.slice(2);
const all = { selection, rss, dedup };
console.log(`rchd benchmarks (daemon: ${DAEMON.slice(0, -2).join(" ")})`);
let ok = true;
for (const [name, fn] of Object.entries(all)) {
  if (which.length === 0 || which.includes(name)) ok = (await fn()) && ok;
}
process.exit(ok ? 0 : 1);
