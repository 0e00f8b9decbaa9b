// `rch exec` (the compiled binary) against rchd and real bed workers: concurrent identical builds
// run once, the daemon is auto-started once, affinity keeps a project on its worker, and a daemon
// killed mid-build does not cost the build.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureRchBuilt, repoRoot } from "../support/rch-binary.ts";
import { admin, makeEnv, type RchEnv, stopByPidFile, waitFor } from "./helpers.ts";

// Compiled rch processes, an auto-started daemon, real builds on bed workers.
setDefaultTimeout(120_000);

/** How long a build waits for a worker's copy held by another build of its project. Long enough
 * that a slow machine finishing the first build never runs out of it; the test that waits it out
 * pays it once. */
const SLOT_WAIT_MS = 6000;

let fleet: Fleet;
let rch: RchEnv;
let bin: string;
/** Run logs the worker users append to. Under /dev/shm, which rch counts as a path every machine
 * has: a build naming any other path outside its project (RUNLOG=…) would rightly stay local. */
let shared: string;

beforeAll(async () => {
  [fleet, bin] = await Promise.all([startFleet({ workers: 2, toolchains: ["cc"] }), ensureRchBuilt()]);
  rch = makeEnv(fleet);
  rch.writeConfig({ daemon: { slot_wait_ms: SLOT_WAIT_MS } });
  rch.writeWorkers(fleet.workersToml());
  shared = mkdtempSync("/dev/shm/rchd-runs-");
  chmodSync(shared, 0o777);
}, 300_000); // ensureRchBuilt may have to build dist/rch

afterAll(() =>
  cleanUp(
    () => rch && stopByPidFile(rch),
    () => fleet?.stop(),
    () => rch?.cleanup(),
    () => shared && rmSync(shared, { recursive: true, force: true }),
  ),
);

/** A fresh copy of the make-c fixture, a run log the worker users may append to, and gates for
 * `make slow GATE=…` (the build pauses until the test opens its gate). */
function project(name: string) {
  const dir = join(rch.dir, name);
  cpSync(join(repoRoot, "test/fixtures/make-c"), dir, { recursive: true });
  const gates: string[] = [];
  return {
    dir,
    runlog: join(shared, `${name}.runs`),
    /** A new closed gate: `GATE=<path>`. */
    gate(): string {
      gates.push(join(shared, `${name}.gate${gates.length}`));
      return gates.at(-1)!;
    },
    /** Opens every gate of this project (also what a failed test must do on its way out). */
    openGates(): void {
      for (const g of gates) writeFileSync(g, "");
    },
  };
}

/** The auto-started daemon's log (debug level in this suite). */
function daemonLog(): string {
  return existsSync(rch.paths.log) ? readFileSync(rch.paths.log, "utf8") : "";
}

/** Waits until a build of `dir` queues for its copy on `worker`, as the daemon logs it. */
async function queuedForCopy(dir: string, worker: string, nth = 1): Promise<void> {
  const line = `: waiting for the copy of ${dir} on ${worker}`;
  await waitFor(
    `a build of ${dir} to queue for the copy on ${worker}`,
    () => daemonLog().split(line).length > nth,
    30_000,
  );
}

async function exec(cwd: string, args: string[], timeoutMs = 120_000, env: Record<string, string> = {}) {
  const p = Bun.spawn([bin, "exec", "--", ...args], {
    cwd,
    env: { ...rch.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function runs(runlog: string): string[] {
  return existsSync(runlog) ? readFileSync(runlog, "utf8").trim().split("\n").filter(Boolean) : [];
}

function daemonPids(): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const cmd = readFileSync(`/proc/${n}/cmdline`, "utf8");
        const env = readFileSync(`/proc/${n}/environ`, "utf8");
        return cmd.includes("daemon\0run") && env.includes(`RCH_STATE_DIR=${rch.env.RCH_STATE_DIR}\0`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Dedup hits so far, or 0 when no daemon runs yet (rch exec starts it). */
async function dedupHits(): Promise<number> {
  if (daemonPids().length === 0) return 0;
  const a = admin(rch);
  try {
    return (await a.status(0)).stats.dedupHits;
  } finally {
    a.close();
  }
}

/** Followers of the active job of `dir`, or -1 while the daemon cannot say. */
async function followersOf(dir: string): Promise<number> {
  const a = admin(rch);
  try {
    return (await a.status(0)).jobs.active.find((j) => j.project === dir)?.followers ?? -1;
  } catch {
    return -1; // the daemon is still starting
  } finally {
    a.close();
  }
}

test("8 concurrent identical `rch exec` builds: one daemon, one remote execution, 8 identical results", async () => {
  const p = project("p8");
  const hitsBefore = await dedupHits();
  // The leader's build waits at its gate until all seven others follow it: a slow machine starting
  // eight rch processes cannot make one of them arrive after the build ended.
  const args = ["make", "slow", "exit3", "SLEEP=60", `GATE=${p.gate()}`, `RUNLOG=${p.runlog}`];
  const running = Promise.all(Array.from({ length: 8 }, () => exec(p.dir, args)));
  const joined = await waitFor("seven followers", async () => (await followersOf(p.dir)) === 7, 60_000).then(
    () => undefined,
    (e: Error) => e,
  );
  p.openGates();
  const results = await running;
  if (joined)
    throw new Error(`${joined.message} (did the builds run locally?): ${JSON.stringify(results[0])}`);
  const [first] = results;
  expect(first!.code).toBe(2); // exit3's `exit 3` makes make fail with 2
  expect(first!.stdout).toContain("slow: started");
  expect(first!.stdout).toContain("about to exit 3");
  for (const r of results) expect(r).toEqual(first!);
  const lines = runs(p.runlog);
  expect(lines).toHaveLength(2); // one execution: `slow` and `exit3` each record once
  expect(lines[0]).toMatch(/^rchb/); // … on a worker
  expect(daemonPids()).toHaveLength(1); // started by the first client, used by all
  const s = await admin(rch).status(10);
  expect(s.stats.dedupHits - hitsBefore).toBe(7);
  expect(s.jobs.recent.find((j) => j.project === p.dir)).toMatchObject({
    state: "remote",
    followers: 7,
    exitCode: 2,
  });
});

test("affinity: the next build of a project goes to the worker holding its copy", async () => {
  const { dir } = project("aff");
  const first = await exec(dir, ["make", "calc"]);
  expect(first.code).toBe(0);
  const a = admin(rch);
  const w1 = (await a.status(5)).jobs.recent.find((j) => j.project === dir)!.worker;
  expect(w1).toMatch(/^w[12]$/);
  const again = await exec(dir, ["make", "-B", "calc"]);
  expect(again.code).toBe(0);
  const recent = (await a.status(5)).jobs.recent.filter((j) => j.project === dir);
  a.close();
  expect(recent).toHaveLength(2);
  expect(recent.map((j) => j.worker)).toEqual([w1, w1]);
});

test("two different builds of one project on one worker: the second waits for the copy, then leads or runs locally", async () => {
  const p = project("copy");
  const onW1 = { RCH_WORKER: "w1" };
  try {
    // The first build holds the copy until its gate opens; the second queues for the copy, and
    // once the first is done in time it leads on w1.
    const first = exec(
      p.dir,
      ["make", "slow", "SLEEP=60", `GATE=${p.gate()}`, `RUNLOG=${p.runlog}`],
      120_000,
      onW1,
    );
    await waitFor("the first build to start remotely", () => runs(p.runlog).length === 1, 30_000);
    const secondRun = exec(p.dir, ["make", "calc", `RUNLOG=${p.runlog}`], 120_000, onW1);
    await queuedForCopy(p.dir, "w1");
    p.openGates();
    const second = await secondRun;
    expect((await first).code).toBe(0);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe(""); // no fallback line: it ran on the worker, after the first
    expect(runs(p.runlog)).toEqual([fleet.workers[0]!.user, fleet.workers[0]!.user]);
    // A build that holds the copy past the wait (its gate stays shut): the second runs here, and
    // says why — while the long build is still running.
    let longDone = false;
    const long = exec(
      p.dir,
      ["make", "slow", "SLEEP=60", `GATE=${p.gate()}`, `RUNLOG=${p.runlog}`],
      120_000,
      onW1,
    );
    void long.then(() => {
      longDone = true;
    });
    await waitFor("the long build to start remotely", () => runs(p.runlog).length === 3, 30_000);
    const local = await exec(p.dir, ["make", "-B", "calc", `RUNLOG=${p.runlog}`], 120_000, onW1);
    expect(local.code).toBe(0);
    expect(local.stderr).toContain("rch: running locally: the copy of this project on w1 stayed busy");
    expect(longDone).toBe(false); // it did not wait for the long build
    expect(runs(p.runlog).at(-1)).toBe("root");
    p.openGates();
    expect((await long).code).toBe(0);
  } finally {
    p.openGates();
  }
});

test("Ctrl-C while waiting for the copy ends rch at once (130), and the leader is undisturbed", async () => {
  const p = project("sigwait");
  const onW1 = { RCH_WORKER: "w1" };
  try {
    const first = exec(
      p.dir,
      ["make", "slow", "SLEEP=60", `GATE=${p.gate()}`, `RUNLOG=${p.runlog}`],
      120_000,
      onW1,
    );
    await waitFor("the first build to start remotely", () => runs(p.runlog).length === 1, 30_000);
    const child = Bun.spawn([bin, "exec", "--", "make", "calc"], {
      cwd: p.dir,
      env: { ...rch.env, ...onW1, RCH_VERBOSE: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const stderr = new Response(child.stderr).text();
    // In line for the copy (its scan is done and it has claimed), then interrupted.
    await queuedForCopy(p.dir, "w1");
    const t0 = Date.now();
    child.kill("SIGINT");
    expect(await child.exited).toBe(130);
    clearTimeout(killer);
    // At once, not when the wait for the copy ends (typically ~0.1 s; the wait is 6 s).
    expect(Date.now() - t0).toBeLessThan(SLOT_WAIT_MS / 2);
    expect(await stderr).not.toContain("running locally");
    p.openGates();
    expect((await first).code).toBe(0);
    expect(runs(p.runlog)).toHaveLength(1); // calc never ran anywhere
  } finally {
    p.openGates();
  }
});

test("rchd killed mid-build: the build completes; the next daemon has every slot free", async () => {
  const p = project("kill");
  try {
    const building = exec(p.dir, ["make", "slow", "SLEEP=60", `GATE=${p.gate()}`, `RUNLOG=${p.runlog}`]);
    await waitFor("the build to start remotely", () => runs(p.runlog).length === 1, 30_000);
    const [pid] = daemonPids();
    process.kill(pid!, "SIGKILL"); // while the build certainly runs: it waits at its gate
    p.openGates();
    const r = await building;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("slow: done");
    expect(runs(p.runlog)).toHaveLength(1); // not re-run locally
  } finally {
    p.openGates();
  }
  const next = await exec(p.dir, ["make", "calc"]); // auto-starts a new daemon
  expect(next.code).toBe(0);
  const s = await admin(rch).status(0);
  expect(s.workers.map((w) => w.usedSlots)).toEqual([0, 0]);
  expect(daemonPids()).toEqual([s.daemon.pid]);
});
