// `rch exec` (the compiled binary) against rchd and real bed workers: concurrent identical builds
// run once, the daemon is auto-started once, affinity keeps a project on its worker, and a daemon
// killed mid-build does not cost the build.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { ensureRchBuilt, repoRoot } from "../support/rch-binary.ts";
import { admin, makeEnv, type RchEnv, stopByPidFile, waitFor } from "./helpers.ts";

let fleet: Fleet;
let rch: RchEnv;
let bin: string;
/** Run logs the worker users append to. Under /dev/shm, which rch counts as a path every machine
 * has: a build naming any other path outside its project (RUNLOG=…) would rightly stay local. */
let shared: string;

beforeAll(async () => {
  [fleet, bin] = await Promise.all([startFleet({ workers: 2, toolchains: ["cc"] }), ensureRchBuilt()]);
  rch = makeEnv(fleet);
  rch.writeWorkers(fleet.workersToml());
  shared = mkdtempSync("/dev/shm/rchd-runs-");
  chmodSync(shared, 0o777);
});

afterAll(async () => {
  if (rch) await stopByPidFile(rch);
  await fleet?.stop();
  rch?.cleanup();
  if (shared) rmSync(shared, { recursive: true, force: true });
});

/** A fresh copy of the make-c fixture and a run log the worker users may append to. */
function project(name: string): { dir: string; runlog: string } {
  const dir = join(rch.dir, name);
  cpSync(join(repoRoot, "test/fixtures/make-c"), dir, { recursive: true });
  return { dir, runlog: join(shared, `${name}.runs`) };
}

async function exec(cwd: string, args: string[], timeoutMs = 60_000, env: Record<string, string> = {}) {
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

test("8 concurrent identical `rch exec` builds: one daemon, one remote execution, 8 identical results", async () => {
  const { dir, runlog } = project("p8");
  const args = ["make", "slow", "exit3", "SLEEP=1", `RUNLOG=${runlog}`];
  const results = await Promise.all(Array.from({ length: 8 }, () => exec(dir, args)));
  if (daemonPids().length === 0) {
    throw new Error(
      `rch exec never started rchd (did the builds run locally?): ${JSON.stringify(results[0])}`,
    );
  }
  const [first] = results;
  expect(first!.code).toBe(2); // exit3's `exit 3` makes make fail with 2
  expect(first!.stdout).toContain("slow: started");
  expect(first!.stdout).toContain("about to exit 3");
  for (const r of results) expect(r).toEqual(first!);
  const lines = runs(runlog);
  expect(lines).toHaveLength(2); // one execution: `slow` and `exit3` each record once
  expect(lines[0]).toMatch(/^rchb/); // … on a worker
  expect(daemonPids()).toHaveLength(1); // started by the first client, used by all
  const s = await admin(rch).status(10);
  expect(s.stats.dedupHits).toBe(7);
  expect(s.jobs.recent.find((j) => j.project === dir)).toMatchObject({
    state: "remote",
    followers: 7,
    exitCode: 2,
  });
}, 90_000);

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
}, 60_000);

test("two different builds of one project on one worker: the second waits for the copy, then leads or runs locally", async () => {
  const { dir, runlog } = project("copy");
  const onW1 = { RCH_WORKER: "w1" };
  // slot_wait_ms is 2 s in this suite. A 1 s build frees the copy in time: the second leads on w1.
  const first = exec(dir, ["make", "slow", "SLEEP=1", `RUNLOG=${runlog}`], 60_000, onW1);
  await waitFor("the first build to start remotely", () => runs(runlog).length === 1, 20_000);
  const second = await exec(dir, ["make", "calc", `RUNLOG=${runlog}`], 60_000, onW1);
  expect((await first).code).toBe(0);
  expect(second.code).toBe(0);
  expect(second.stderr).toBe(""); // no fallback line: it ran on the worker, after the first
  expect(runs(runlog)).toEqual([fleet.workers[0]!.user, fleet.workers[0]!.user]);
  // A 5 s build holds the copy past the wait: the second runs here, and says why.
  const long = exec(dir, ["make", "slow", "SLEEP=5", `RUNLOG=${runlog}`], 60_000, onW1);
  await waitFor("the long build to start remotely", () => runs(runlog).length === 3, 20_000);
  const t0 = Date.now();
  const local = await exec(dir, ["make", "-B", "calc", `RUNLOG=${runlog}`], 60_000, onW1);
  expect(local.code).toBe(0);
  expect(local.stderr).toContain("rch: running locally: the copy of this project on w1 stayed busy");
  expect(Date.now() - t0).toBeLessThan(4500); // it did not wait for the long build
  expect(runs(runlog).at(-1)).toBe("root");
  expect((await long).code).toBe(0);
}, 60_000);

test("Ctrl-C while waiting for the copy ends rch at once (130), and the leader is undisturbed", async () => {
  const { dir, runlog } = project("sigwait");
  const onW1 = { RCH_WORKER: "w1" };
  const first = exec(dir, ["make", "slow", "SLEEP=2", `RUNLOG=${runlog}`], 60_000, onW1);
  await waitFor("the first build to start remotely", () => runs(runlog).length === 1, 20_000);
  const p = Bun.spawn([bin, "exec", "--", "make", "calc"], {
    cwd: dir,
    env: { ...rch.env, ...onW1, RCH_VERBOSE: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(p.stderr).text();
  // Wait until it is in line for the copy (its scan is done and it has claimed), then interrupt.
  await Bun.sleep(700);
  const t0 = Date.now();
  p.kill("SIGINT");
  expect(await p.exited).toBe(130);
  expect(Date.now() - t0).toBeLessThan(1000); // not the 2 s slot_wait_ms of this suite
  expect(await stderr).not.toContain("running locally");
  expect((await first).code).toBe(0);
  expect(runs(runlog)).toHaveLength(1); // calc never ran anywhere
}, 60_000);

test("rchd killed mid-build: the build completes; the next daemon has every slot free", async () => {
  const { dir, runlog } = project("kill");
  const building = exec(dir, ["make", "slow", "SLEEP=2", `RUNLOG=${runlog}`]);
  await waitFor("the build to start remotely", () => runs(runlog).length === 1, 20_000);
  const [pid] = daemonPids();
  process.kill(pid!, "SIGKILL");
  const r = await building;
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("slow: done");
  expect(runs(runlog)).toHaveLength(1); // not re-run locally
  const next = await exec(dir, ["make", "calc"]); // auto-starts a new daemon
  expect(next.code).toBe(0);
  const s = await admin(rch).status(0);
  expect(s.workers.map((w) => w.usedSlots)).toEqual([0, 0]);
  expect(daemonPids()).toEqual([s.daemon.pid]);
}, 60_000);
