// Health, slots and selection against real loopback sshd workers (test/bed) and a real daemon.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Selection } from "../../src/protocol/selector.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { cleanUp } from "../support/cleanup.ts";
import {
  admin,
  type DaemonProc,
  job,
  makeEnv,
  type RchEnv,
  rchCli,
  selector,
  startDaemon,
  usedSlots,
  waitFor,
} from "./helpers.ts";

// A fleet, a daemon started from source, ssh heartbeats: seconds here, several times that on a
// slow machine.
setDefaultTimeout(60_000);

let fleet: Fleet;
let rch: RchEnv;
let daemon: DaemonProc;

beforeAll(async () => {
  fleet = await startFleet({
    workers: [{ totalSlots: 4 }, { totalSlots: 4 }, { totalSlots: 2 }],
    toolchains: ["cc"],
  });
  rch = makeEnv(fleet);
  rch.writeWorkers(fleet.workersToml((w) => ({ tags: w.id === "w1" ? ["fast", "ssd"] : ["ssd"] })));
  daemon = await startDaemon(rch);
  await waitFor(
    "first heartbeats",
    async () => {
      const s = await admin(rch).status(0);
      return s.workers.every((w) => w.health === "ok");
    },
    30_000,
  );
});

afterAll(() =>
  cleanUp(
    () => daemon?.stop(),
    () => fleet?.stop(),
    () => rch?.cleanup(),
  ),
);

const remote = { kind: "remote", exitCode: 0, remoteMs: 5 } as const;

async function pick(over: Parameters<typeof job>[0] = {}): Promise<Selection> {
  const sel = selector(rch);
  return sel.select(job(over));
}

async function workerOf(over: Parameters<typeof job>[0] = {}): Promise<string> {
  const s = await pick(over);
  if (s.kind !== "worker") return `${s.kind}: ${s.kind === "local" ? s.reason : ""}`;
  await s.lease.release(remote);
  return s.lease.worker.id;
}

test("heartbeats record latency over the ssh master", async () => {
  const s = await admin(rch).status(0);
  for (const w of s.workers) {
    expect(w.circuit).toBe("closed");
    // A measured round trip, not a bound on it: a loaded machine took 1.1 s (no wall-clock limits).
    expect(w.latencyMs).toBeGreaterThan(0);
    expect(Number.isFinite(w.latencyMs)).toBe(true);
  }
});

test("a killed worker's circuit opens after exactly the threshold of failed heartbeats, and it recovers by itself", async () => {
  const a = admin(rch);
  const circuit = async () => (await a.status(0)).workers.find((w) => w.id === "w3")!.circuit;
  await fleet.stopWorker("w3");
  // threshold (2) × interval (1 s) + one probe: ~2 s. The bound only catches a hang; the count of
  // failures before it opened is read from the daemon's log below.
  await waitFor("circuit open", async () => (await circuit()) === "open", 15_000);
  expect(await workerOf({ forcedWorker: "w3" })).toMatch(/^local: .*w3 circuit (open|half-open)/);
  for (let i = 0; i < 6; i++) expect(await workerOf({ projectRoot: `/p/c${i}` })).not.toBe("w3");
  await fleet.startWorker("w3");
  // cool-down (1 s) → half-open → one successful heartbeat → closed
  await waitFor("circuit closed", async () => (await circuit()) === "closed", 15_000);
  expect(await workerOf({ forcedWorker: "w3" })).toBe("w3");
  a.close();
  await waitFor("the circuit log lines", () => /worker w3: circuit half-open → closed/.test(daemon.log()));
  const w3 = daemon
    .log()
    .split("\n")
    .filter((l) => l.includes("worker w3: "));
  const opened = w3.findIndex((l) => l.includes("circuit closed → open"));
  expect(w3[opened]).toContain("after 2 failure(s)");
  expect(w3[opened - 1]).toContain("heartbeat failed (1/2)");
});

test("slots never exceed total_slots under 50 concurrent clients", async () => {
  const total: Record<string, number> = { w1: 4, w2: 4, w3: 2 };
  const held: Record<string, number> = { w1: 0, w2: 0, w3: 0 };
  const max: Record<string, number> = { w1: 0, w2: 0, w3: 0 };
  let overDaemon = 0;
  let polling = true;
  const poller = (async () => {
    const a = admin(rch);
    while (polling) {
      const s = await a.status(0);
      for (const w of s.workers) if (w.usedSlots > w.totalSlots) overDaemon++;
      await Bun.sleep(2);
    }
    a.close();
  })();
  let granted = 0;
  await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const sel = selector(rch);
      for (let round = 0; round < 3; round++) {
        const s = await sel.select(job({ projectRoot: `/p/load${i}`, argv: ["make", String(round)] }));
        if (s.kind !== "worker") continue;
        granted++;
        const id = s.lease.worker.id;
        held[id]!++;
        max[id] = Math.max(max[id]!, held[id]!);
        await Bun.sleep(Math.random() * 20);
        held[id]!--;
        await s.lease.release(remote);
      }
      sel.close();
    }),
  );
  polling = false;
  await poller;
  expect(granted).toBe(150);
  for (const id of Object.keys(total)) expect(max[id]!).toBeLessThanOrEqual(total[id]!);
  expect(max.w1).toBe(4); // the load did fill them
  expect(overDaemon).toBe(0);
  expect(await usedSlots(rch)).toEqual({ w1: 0, w2: 0, w3: 0 });
  expect(daemon.log()).not.toContain("SlotInvariantError");
});

test("all busy: waiters are served first come first served, then fall back after slot_wait_ms", async () => {
  // Two projects: two builds of one project could not share w3's copy of it (see copies.test.ts).
  const holders = await Promise.all(
    Array.from({ length: 2 }, (_, i) => pick({ forcedWorker: "w3", projectRoot: `/p/hold${i}` })),
  );
  expect(holders.map((h) => h.kind)).toEqual(["worker", "worker"]);
  const order: string[] = [];
  const ops = admin(rch);
  const queued = async (n: number) =>
    waitFor(`${n} queued`, async () => (await ops.status(0)).queue === n, 10_000);
  // A is in the daemon's queue before B is even sent.
  const waiters: Promise<Selection>[] = [];
  for (const [i, name] of ["A", "B"].entries()) {
    waiters.push(
      pick({ forcedWorker: "w3", projectRoot: `/p/${name}` }).then((s) => {
        order.push(name);
        return s;
      }),
    );
    await queued(i + 1);
  }
  ops.close();
  for (const h of holders) if (h.kind === "worker") await h.lease.release(remote);
  const [a, b] = await Promise.all(waiters);
  expect(order).toEqual(["A", "B"]);
  for (const s of [a!, b!]) expect(s.kind).toBe("worker");
  // Now hold both slots and let a third wait out slot_wait_ms (2 s in this suite).
  const t0 = Date.now();
  const late = await pick({ forcedWorker: "w3", projectRoot: "/p/C" });
  expect(late).toMatchObject({ kind: "local" });
  expect(late.kind === "local" && late.reason).toContain("stayed busy for 2000 ms");
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  for (const s of [a!, b!]) if (s.kind === "worker") await s.lease.release(remote);
});

test("project affinity routes a project's next job to the worker holding its warm copy", async () => {
  expect(await workerOf({ projectRoot: "/p/aff", forcedWorker: "w2" })).toBe("w2");
  for (let i = 0; i < 3; i++) {
    const s = await pick({ projectRoot: "/p/aff", argv: ["make", `again${i}`] });
    expect(s.kind).toBe("worker");
    if (s.kind !== "worker") return;
    expect(s.lease.worker.id).toBe("w2");
    expect(s.lease.warm).toBe(true);
    await s.lease.release(remote);
  }
  const other = await pick({ projectRoot: "/p/never-built" });
  expect(other.kind === "worker" && other.lease.warm).toBe(false);
  if (other.kind === "worker") await other.lease.release(remote);
});

test("tags, preferred_workers, RCH_WORKER and RCH_WORKERS restrict or order the choice", async () => {
  for (let i = 0; i < 3; i++)
    expect(await workerOf({ projectRoot: `/p/t${i}`, tags: ["fast"] } as never)).toBe("w1");
  expect(await workerOf({ tags: ["gpu"] } as never)).toMatch(/^local: no eligible worker .*lacks tag gpu/);
  for (let i = 0; i < 3; i++)
    expect(await workerOf({ projectRoot: `/p/pref${i}`, preferredWorkers: ["w3"] })).toBe("w3");
  expect(await workerOf({ forcedWorker: "w2" })).toBe("w2");
  expect(await workerOf({ forcedWorker: "nope" })).toBe("local: RCH_WORKER=nope is not a configured worker");
  for (let i = 0; i < 3; i++) {
    expect(["w2", "w3"]).toContain(
      await workerOf({ projectRoot: `/p/allow${i}`, allowedWorkers: ["w2", "w3"] }),
    );
  }
});

test("a drained worker gets nothing until enabled; drained state survives a restart", async () => {
  const drained = await rchCli(rch, ["workers", "drain", "w1"]);
  expect(drained).toMatchObject({ code: 0 });
  expect(drained.stdout).toContain("w1 drained");
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) seen.add(await workerOf({ projectRoot: `/p/d${i}` }));
  expect(seen.has("w1")).toBe(false);
  expect(await workerOf({ forcedWorker: "w1" })).toMatch(/^local: no eligible worker \(w1 drained/);
  expect((await rchCli(rch, ["workers", "drain", "zz"])).code).toBe(2);
  // persisted: a restarted daemon still keeps w1 out
  await daemon.stop();
  daemon = await startDaemon(rch);
  const s = await admin(rch).status(0);
  expect(s.workers.find((w) => w.id === "w1")!.drained).toBe(true);
  expect(await workerOf({ forcedWorker: "w1" })).toMatch(/w1 drained/);
  expect((await rchCli(rch, ["workers", "enable", "w1"])).stdout).toContain("w1 enabled");
  await waitFor(
    "w1 healthy",
    async () => (await admin(rch).status(0)).workers.find((w) => w.id === "w1")!.health === "ok",
    15_000,
  );
  expect(await workerOf({ forcedWorker: "w1" })).toBe("w1");
});

test("benchmark yields a persisted speed score; status shows it", async () => {
  const r = await rchCli(rch, ["--format", "json", "workers", "benchmark", "w2"], 60_000);
  expect(r.code).toBe(0);
  const [res] = JSON.parse(r.stdout) as { workerId: string; ok: boolean; speed: number; compileMs: number }[];
  expect(res).toMatchObject({ workerId: "w2", ok: true });
  expect(res!.speed).toBeGreaterThan(5);
  expect(res!.compileMs).toBeGreaterThan(0);
  const text = await rchCli(rch, ["status", "--workers"]);
  expect(text.stdout).toMatch(
    new RegExp(`w2\\s+[█░]+ 0/4\\s+ok\\s+closed\\s+[\\d.]+ ms\\s+${res!.speed.toFixed(1)}`),
  );
  // Jobs of its own, so this test does not depend on what the tests before it ran.
  const before = (await admin(rch).status(0)).stats.remoteJobs;
  for (let i = 0; i < 2; i++) await workerOf({ projectRoot: `/p/bench${i}` });
  const jobs = await rchCli(rch, ["--format", "json", "status", "--jobs", "--stats"]);
  const j = JSON.parse(jobs.stdout);
  expect(j.jobs.recent.map((x: { project: string }) => x.project)).toContain("/p/bench1");
  expect(j.stats.remoteJobs).toBeGreaterThanOrEqual(before + 2);
  expect(Object.keys(j)).toEqual(["jobs", "stats"]);
}, 120_000);
