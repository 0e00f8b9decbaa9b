// One fleet, several workstations, in-process: the daemon's count of other workstations' builds
// (worker-full answers, slot counts), what selection makes of it (free = total − own − external,
// max_share, contention mode), when counts lapse, and when the slot counts run — with the daemon's
// real core (createCore) and a scripted count probe whose timers the test fires itself, so every
// rule is checked in milliseconds and no delay is waited out.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { defaultConfig, type WorkerConfig, workerSchema } from "../../src/config/schema.ts";
import { type Core, createCore } from "../../src/daemon/core.ts";
import type { WorkerState } from "../../src/daemon/fleet.ts";
import { createLogger } from "../../src/daemon/log.ts";
import type { SelectResult } from "../../src/daemon/scheduler.ts";
import { CONTENTION_MS, contended } from "../../src/daemon/share.ts";
import { type CountResult, FAST_MS, JITTER } from "../../src/daemon/slotwatch.ts";
import { type JobSpec, jobSpec } from "../../src/protocol/requests.ts";

const ME = "0123456789abcdef";
const B = "bbbbbbbbbbbbbbbb";
const noteB = (project = "api") => `client=${B} name=ws-b project=${project} since=1700000000`;
const noteMe = `client=${ME} name=ws-a project=mine since=1700000000`;
const wantB = () => `client=${B} name=ws-b at=${Math.floor(Date.now() / 1000)}`;
const HEARTBEAT_MS = 30_000;

interface Planned {
  fn: () => void;
  ms: number;
  live: boolean;
}

interface Rig extends Core {
  /** The count the probe answers next, per worker (undefined: the count fails). */
  answer: Map<string, CountResult | undefined>;
  /** Each count asked for: worker and whether we said we wait for it. */
  asked: [string, boolean][];
  suspected: string[];
  /** The next count still planned (the rigs here have one worker). */
  next(): Planned;
  /** Runs the planned count and lets it finish. */
  fire(): Promise<void>;
  st(id?: string): WorkerState;
}

const rigs: { core: Core; dir: string }[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) {
    r.core.slots.stop();
    r.core.store.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
});

function rig(workers: (Partial<WorkerConfig> & { id: string })[], random = () => 0.5): Rig {
  const dir = mkdtempSync("/tmp/rch-share-");
  const daemon = { ...defaultConfig().daemon, heartbeat_interval_s: HEARTBEAT_MS / 1000 };
  const answer = new Map<string, CountResult | undefined>();
  const asked: [string, boolean][] = [];
  const suspected: string[] = [];
  const planned: Planned[] = [];
  const core = createCore({
    daemon,
    dbPath: join(dir, "rchd.sqlite"),
    log: createLogger("error", () => {}),
    leaseTtlMs: 30_000,
    clientId: ME,
    suspect: (id) => suspected.push(id),
    counts: async (st, want) => {
      asked.push([st.config.id, want]);
      return answer.get(st.config.id);
    },
    countSchedule: (fn, ms) => {
      const p: Planned = { fn, ms, live: true };
      planned.push(p);
      return () => {
        p.live = false;
      };
    },
    random,
  });
  rigs.push({ core, dir });
  core.applyWorkers(
    workers.map((w) => v.parse(workerSchema, { host: "127.0.0.1", ...w })),
    daemon,
  );
  const next = () => {
    const live = planned.filter((p) => p.live);
    if (live.length !== 1) throw new Error(`${live.length} counts planned, expected 1`);
    return live[0]!;
  };
  return {
    ...core,
    answer,
    asked,
    suspected,
    next,
    async fire() {
      const p = next();
      p.live = false;
      p.fn();
      for (let i = 0; i < 5; i++) await Bun.sleep(0); // the count's promise chain
    },
    st: (id = workers[0]!.id) => core.fleet.get(id)!,
  };
}

let seq = 0;
const spec = (over: Partial<JobSpec> = {}): JobSpec =>
  v.parse(jobSpec, {
    projectRoot: `/p/job${seq}`,
    kind: "make",
    argv: ["make"],
    env: {},
    sourceState: `s${seq++}`,
    ...over,
  });

type Lease = Extract<SelectResult, { kind: "lease" }>;
const what = (s: SelectResult) =>
  s.kind === "lease" ? s.worker.id : s.kind === "local" ? `local: ${s.reason}` : `attach ${s.jobId}`;
const select = (r: Rig, waitMs = 0, retry = false) =>
  Promise.resolve(r.scheduler.select(spec(), waitMs, 1, true, retry));
async function lease(r: Rig): Promise<Lease> {
  const s = await select(r);
  if (s.kind !== "lease") throw new Error(`expected a lease, got ${what(s)}`);
  return s;
}
const done = (r: Rig, l: Lease) =>
  r.scheduler.release(l.lease.id, { kind: "remote", exitCode: 0, remoteMs: 5 });
const count = (held: number, holders: string[], wants: string[] = []): CountResult => ({
  flock: true,
  held,
  holders,
  wants,
});
/** Has this promise settled yet? */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let yes = false;
  void p.then(() => {
    yes = true;
  });
  await Bun.sleep(0);
  return yes;
}

describe("what the daemon learns", () => {
  test("a worker-full answer: no failure, the count is taken, and the next build is told who fills it", async () => {
    const r = rig([{ id: "w1", total_slots: 2 }]);
    const l = await lease(r);
    r.scheduler.release(l.lease.id, { kind: "worker-full", held: 2, holders: [noteB("api"), noteB("web")] });
    const st = r.st();
    expect(st.share.external).toBe(2);
    expect(st.used).toBe(0);
    expect(st.circuit.state).toBe("closed");
    expect(st.circuit.consecutiveFailures).toBe(0);
    expect(r.suspected).toEqual([]);
    expect(r.history.stats().failedJobs).toBe(0);
    expect(contended(st.share, Date.now())).toBe(true);
    expect(what(await select(r))).toBe("local: w1 is full (2 of 2 slots held by ws-b)");
    // The attempt is not a job of its own in the history; the local run is.
    expect(r.history.recent(10).map((j) => j.state)).toEqual(["local"]);
    const status = r.fleet.status(st);
    expect(status.slotsExternal).toBe(2);
    expect(status.holders).toEqual([
      { client: B, name: "ws-b", project: "api", since: 1700000000 },
      { client: B, name: "ws-b", project: "web", since: 1700000000 },
    ]);
  });

  test("free = total − own − external: others' builds take slots from us", async () => {
    const r = rig([{ id: "w1", total_slots: 4 }]);
    r.slots.apply(r.st(), count(2, [noteB(), noteB()]), Date.now());
    const a = await lease(r);
    const b = await lease(r);
    expect(what(await select(r))).toBe("local: w1 is full (2 of 4 slots held by ws-b)");
    done(r, a);
    done(r, b);
  });

  test("external = max(others' notes, held − own leases)", async () => {
    const r = rig([{ id: "w1", total_slots: 4 }]);
    const mine = await lease(r);
    // Our lease's session holds a slot: one of ours, two of B's.
    r.slots.apply(r.st(), count(3, [noteMe, noteB(), noteB()]), Date.now());
    expect(r.st().share.external).toBe(2);
    // Our lease has not taken its slot yet: the notes still say two are B's.
    r.slots.apply(r.st(), count(2, [noteB(), noteB()]), Date.now());
    expect(r.st().share.external).toBe(2);
    done(r, mine);
    // Builds of ours that an earlier daemon started hold slots we have no lease for.
    r.slots.apply(r.st(), count(2, [noteMe, noteMe]), Date.now());
    expect(r.st().share.external).toBe(2);
    expect(r.st().share.holders).toEqual([]);
  });

  test("max_share: this workstation never holds more of the worker's slots", async () => {
    const r = rig([{ id: "w1", total_slots: 4, max_share: 1 }]);
    const a = await lease(r);
    expect(what(await select(r))).toBe("local: all eligible workers are busy");
    const waiting = select(r, 5000);
    expect(await settled(waiting)).toBe(false);
    done(r, a);
    expect(what(await waiting)).toBe("w1");
    expect(r.fleet.status(r.st()).maxShare).toBe(1);
  });

  test("a count lapses two heartbeat intervals after it was taken", () => {
    const r = rig([{ id: "w1", total_slots: 2 }]);
    const t = Date.now();
    r.slots.apply(r.st(), count(2, [noteB(), noteB()]), t);
    r.slots.apply(r.st(), undefined, t + 2 * HEARTBEAT_MS); // a failed count: the old one stands
    expect(r.st().share.external).toBe(2);
    r.slots.apply(r.st(), undefined, t + 2 * HEARTBEAT_MS + 1);
    expect(r.st().share.external).toBe(0);
    expect(r.st().share.holders).toEqual([]);
  });

  test("no flock(1) on the worker: nothing is shared there, only our own leases count", async () => {
    const r = rig([{ id: "w1", total_slots: 1 }]);
    r.slots.apply(r.st(), count(1, [noteB()]), Date.now());
    r.slots.apply(r.st(), { flock: false }, Date.now());
    expect(r.st().share.external).toBe(0);
    expect(r.fleet.status(r.st()).sharing).toBe(false);
    expect(what(await select(r))).toBe("w1");
  });

  test("another workstation waiting (its want note) means contention; our own note does not", () => {
    const r = rig([{ id: "w1", total_slots: 2 }]);
    r.slots.apply(r.st(), count(0, [], [`client=${ME} name=ws-a at=1`]), Date.now());
    expect(contended(r.st().share, Date.now())).toBe(false);
    r.slots.apply(r.st(), count(0, [], [wantB()]), Date.now());
    expect(contended(r.st().share, Date.now())).toBe(true);
    expect(contended(r.st().share, Date.now() + CONTENTION_MS)).toBe(false);
  });
});

describe("when the daemon counts", () => {
  const fast = [FAST_MS * (1 - JITTER), FAST_MS * (1 + JITTER)];
  const slow = [HEARTBEAT_MS * (1 - JITTER), HEARTBEAT_MS * (1 + JITTER)];
  const within = (ms: number, [lo, hi]: number[]) => expect(ms >= lo! && ms <= hi!).toBe(true);

  test("fixed 1 s ± 20 % while a build waits for a worker others fill, never backing off", async () => {
    let i = 0;
    const r = rig([{ id: "w1", total_slots: 1 }], () => [0, 0.999, 0.3, 0.7][i++ % 4]!);
    expect(r.next().ms).toBe(0); // the first count right away
    r.answer.set("w1", count(1, [noteB()]));
    await r.fire();
    within(r.next().ms, slow); // nobody waits: heartbeat pace
    const waiting = select(r, 60_000);
    within(r.next().ms, fast); // a build waits: the next count within ~1 s
    const delays: number[] = [];
    for (let k = 0; k < 8; k++) {
      await r.fire();
      delays.push(r.next().ms);
    }
    for (const d of delays) within(d, fast);
    expect(new Set(delays).size).toBeGreaterThan(1); // jittered, and not growing
    expect(Math.max(...delays.slice(4))).toBeLessThanOrEqual(Math.max(...delays.slice(0, 4)));
    expect(r.asked.slice(1).every(([, want]) => want)).toBe(true); // it said it waits
    expect(await settled(waiting)).toBe(false);
    // The count shows the slot free: the waiting build gets it at once.
    r.answer.set("w1", count(0, []));
    await r.fire();
    expect(what(await waiting)).toBe("w1");
    within(r.next().ms, slow);
  });

  test("alone: a worker full of our own builds is not counted fast", async () => {
    const r = rig([{ id: "w1", total_slots: 1 }]);
    r.answer.set("w1", count(0, []));
    await r.fire();
    const l = await lease(r);
    const waiting = select(r, 60_000);
    within(r.next().ms, slow);
    r.answer.set("w1", count(1, [noteMe]));
    await r.fire();
    within(r.next().ms, slow);
    expect(r.asked.every(([, want]) => !want)).toBe(true);
    done(r, l); // our own release serves the line at once, as before
    expect(what(await waiting)).toBe("w1");
  });

  test("contention mode: freed slots go out at counts, one build per count", async () => {
    const r = rig([{ id: "w1", total_slots: 2 }]);
    r.answer.set("w1", count(0, [], [wantB()]));
    await r.fire();
    expect(contended(r.st().share, Date.now())).toBe(true);
    const waiters = [select(r, 60_000), select(r, 60_000), select(r, 60_000)];
    expect(r.scheduler.queue.length).toBe(3); // two slots free, but only counts hand them out
    await r.fire();
    expect(what(await waiters[0]!)).toBe("w1");
    expect(r.scheduler.queue.length).toBe(2);
    r.answer.set("w1", count(1, [noteMe], [wantB()]));
    await r.fire();
    const second = (await waiters[1]!) as Lease;
    expect(what(second)).toBe("w1");
    // Our own build ends: the slot is not handed straight to our next one ...
    done(r, second);
    expect(await settled(waiters[2]!)).toBe(false);
    // ... but at the next count (B may win it at its own count first).
    await r.fire();
    expect(what(await waiters[2]!)).toBe("w1");
  });

  test("a retry keeps its turn at the head of the line, and is not a new request", async () => {
    const r = rig([{ id: "w1", total_slots: 1 }]);
    const hold = await lease(r);
    const first = select(r, 60_000);
    const retry = select(r, 60_000, true);
    expect(r.history.stats().totalJobs).toBe(2);
    done(r, hold);
    expect(await settled(retry)).toBe(true);
    expect(await settled(first)).toBe(false);
    done(r, (await retry) as Lease);
    expect(what(await first)).toBe("w1");
  });
});
