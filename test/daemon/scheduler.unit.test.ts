// The scheduler in-process: the daemon's real Fleet, Leases, SQLite Store (in a temp dir),
// History and Logger, wired by createCore as rchd wires them — no socket, no ssh, no daemon
// process, so every rule of selection is checked in milliseconds. (fleet.test.ts checks the same
// through a real daemon and sshd workers; this tier covers the rules one by one.)
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { type Config, defaultConfig, type WorkerConfig, workerSchema } from "../../src/config/schema.ts";
import { type Core, createCore } from "../../src/daemon/core.ts";
import { createLogger } from "../../src/daemon/log.ts";
import type { SelectResult } from "../../src/daemon/scheduler.ts";
import { DEFAULT_SPEED, score, WARM_BONUS } from "../../src/daemon/select.ts";
import { type JobSpec, jobSpec } from "../../src/protocol/requests.ts";

type WorkerInput = Partial<WorkerConfig> & { id: string };
const parseWorker = (w: WorkerInput): WorkerConfig => v.parse(workerSchema, { host: "127.0.0.1", ...w });

interface Rig extends Core {
  dir: string;
  logged(): string;
  close(): void;
}

const rigs: Rig[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A scheduling core over these workers; `dir` reopens an earlier rig's state (a restart). */
function rig(workers: WorkerInput[], o: { daemon?: Partial<Config["daemon"]>; dir?: string } = {}): Rig {
  const dir = o.dir ?? mkdtempSync("/tmp/rch-sched-");
  if (!o.dir) dirs.push(dir);
  const daemon = { ...defaultConfig().daemon, ...o.daemon };
  let text = "";
  const log = createLogger("debug", (t) => {
    text += t;
  });
  const core = createCore({
    daemon,
    dbPath: join(dir, "state", "rchd.sqlite"),
    log,
    leaseTtlMs: 30_000,
    clientId: "0123456789abcdef",
  });
  core.applyWorkers(workers.map(parseWorker), daemon);
  let closed = false;
  const r: Rig = {
    ...core,
    dir,
    logged: () => {
      log.flush();
      return text;
    },
    close() {
      if (closed) return;
      closed = true;
      log.flush();
      core.store.close();
    },
  };
  rigs.push(r);
  return r;
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

async function select(r: Rig, over: Partial<JobSpec> = {}, waitMs = 0, connId = 1): Promise<SelectResult> {
  return await r.scheduler.select(spec(over), waitMs, connId, true);
}

/** The worker a job lands on, or "local: <reason>"; the lease stays held. */
async function place(r: Rig, over: Partial<JobSpec> = {}, waitMs = 0, connId = 1): Promise<string> {
  return describe_(await select(r, over, waitMs, connId));
}

function describe_(s: SelectResult): string {
  return s.kind === "lease" ? s.worker.id : s.kind === "local" ? `local: ${s.reason}` : `attach ${s.jobId}`;
}

async function lease(r: Rig, over: Partial<JobSpec> = {}, waitMs = 0, connId = 1): Promise<Lease> {
  const s = await select(r, over, waitMs, connId);
  if (s.kind !== "lease") throw new Error(`expected a lease, got ${describe_(s)}`);
  return s;
}

const done = (r: Rig, l: Lease) =>
  r.scheduler.release(l.lease.id, { kind: "remote", exitCode: 0, remoteMs: 5 });

/** Where a job lands when every lease is handed back at once (selection on an idle fleet). */
async function pickIdle(r: Rig, over: Partial<JobSpec> = {}): Promise<string> {
  const s = await select(r, over);
  if (s.kind === "lease") done(r, s);
  return describe_(s);
}

const speed = (workerId: string, value: number) => ({
  workerId,
  speed: value,
  compileMs: 1000,
  cpuMs: 1000,
  measuredAt: Date.now(),
});

describe("ranking", () => {
  test("priority: the higher one wins", async () => {
    const r = rig([
      { id: "w1", priority: 100 },
      { id: "w2", priority: 150 },
    ]);
    expect(await pickIdle(r)).toBe("w2");
  });

  test("speed: a benchmark score multiplies, survives a restart, and unmeasured counts as 100", async () => {
    const first = rig([{ id: "w1" }, { id: "w2" }]);
    expect(await pickIdle(first)).toBe("w1"); // equal: id order
    first.store.setSpeed(speed("w2", 120));
    first.close();
    const again = rig([{ id: "w1" }, { id: "w2" }], { dir: first.dir });
    expect(again.fleet.get("w2")!.speed?.speed).toBe(120);
    expect(again.fleet.get("w1")!.speed).toBeUndefined();
    expect(await pickIdle(again)).toBe("w2");
    // Speed and priority multiply: 120/100 × 80/100 = 0.96 < 1 (workers.toml edited, reloaded).
    const reloaded = [{ id: "w1" }, { id: "w2", priority: 80 }].map(parseWorker);
    again.applyWorkers(reloaded, defaultConfig().daemon);
    expect(again.fleet.get("w2")!.speed?.speed).toBe(120); // a reload keeps what was learned
    expect(await pickIdle(again)).toBe("w1");
  });

  test("preferred_workers: a free preferred worker beats any score; a full one does not hold the job", async () => {
    const r = rig([
      { id: "w1", priority: 100, total_slots: 1 },
      { id: "w2", priority: 300 },
      { id: "w3", priority: 50 },
    ]);
    expect(await pickIdle(r, { preferredWorkers: ["w1", "w3"] })).toBe("w1");
    expect(await pickIdle(r, { preferredWorkers: ["w3"] })).toBe("w3");
    const hold = await lease(r, { preferredWorkers: ["w1"] });
    expect(hold.worker.id).toBe("w1");
    // w1 is full: among the preferred, w3 is free; with only w1 preferred, the best other.
    expect(await pickIdle(r, { preferredWorkers: ["w1", "w3"] })).toBe("w3");
    expect(await pickIdle(r, { preferredWorkers: ["w1"] })).toBe("w2");
    expect(await pickIdle(r, { preferredWorkers: ["nope"] })).toBe("w2");
    done(r, hold);
  });

  test("free slots: load spreads over equal workers, and a full fleet sends the job local", async () => {
    const r = rig([
      { id: "w1", total_slots: 4 },
      { id: "w2", total_slots: 4 },
    ]);
    const order: string[] = [];
    for (let i = 0; i < 8; i++) order.push((await lease(r)).worker.id);
    // Equal scores go to fewer used slots, then id: strict alternation.
    expect(order).toEqual(["w1", "w2", "w1", "w2", "w1", "w2", "w1", "w2"]);
    expect(r.fleet.list().map((w) => w.used)).toEqual([4, 4]);
    expect(await place(r)).toBe("local: all eligible workers are busy");
  });

  test("free slots count as a fraction: a big idle worker beats a small half-used one", async () => {
    const r = rig([
      { id: "big", total_slots: 8, priority: 100 },
      { id: "small", total_slots: 2, priority: 120 },
    ]);
    expect(await place(r)).toBe("small"); // 120 × 1 > 100 × 1
    // small: 120 × (0.5 + 0.5 × 1/2) = 90 < big: 100
    expect(await place(r)).toBe("big");
  });

  test("equal scores: fewer used slots, then lower latency, then id", async () => {
    const r = rig([{ id: "w1" }, { id: "w2" }]);
    r.fleet.get("w1")!.latencyMs = 9;
    r.fleet.get("w2")!.latencyMs = 3;
    expect(await pickIdle(r)).toBe("w2");
    r.fleet.get("w2")!.latencyMs = 12;
    expect(await pickIdle(r)).toBe("w1");
  });
});

describe("affinity", () => {
  test("a project's next job goes to the worker that built it last, and that survives a restart", async () => {
    const first = rig([{ id: "w1" }, { id: "w2" }]);
    const l = await lease(first, { projectRoot: "/p/aff", forcedWorker: "w2" });
    done(first, l);
    const next = await lease(first, { projectRoot: "/p/aff" });
    expect(next).toMatchObject({ warm: true, worker: { id: "w2" } });
    done(first, next);
    expect(await lease(first, { projectRoot: "/p/cold" })).toMatchObject({
      warm: false,
      worker: { id: "w1" },
    });
    first.close(); // flushes the queued affinity write
    const again = rig([{ id: "w1" }, { id: "w2" }], { dir: first.dir });
    expect(await lease(again, { projectRoot: "/p/aff" })).toMatchObject({ warm: true, worker: { id: "w2" } });
  });

  test("only a remote run makes a copy warm", async () => {
    const r = rig([{ id: "w1" }, { id: "w2" }]);
    const l = await lease(r, { projectRoot: "/p/loc", forcedWorker: "w2" });
    r.scheduler.release(l.lease.id, { kind: "local", exitCode: 0, localMs: 5, reason: "sync failed" });
    expect(await lease(r, { projectRoot: "/p/loc" })).toMatchObject({ warm: false, worker: { id: "w1" } });
  });

  test(`the warm bonus is ×${WARM_BONUS}: it wins against up to 1.5× better, and loses beyond`, async () => {
    const r = rig([{ id: "w1" }, { id: "w2", total_slots: 2 }]);
    done(r, await lease(r, { projectRoot: "/p/warm", forcedWorker: "w2" }));
    const w1 = r.fleet.get("w1")!;
    w1.speed = speed("w1", 149); // 149 vs warm 100 × 1.5 = 150
    expect(await pickIdle(r, { projectRoot: "/p/warm" })).toBe("w2");
    w1.speed = speed("w1", 151);
    expect(await pickIdle(r, { projectRoot: "/p/warm" })).toBe("w1");
    // Load counts too: a warm worker half full (100 × 1.5 × 0.75 = 112.5) loses to an idle 120.
    w1.speed = speed("w1", 120);
    const hold = await lease(r, { forcedWorker: "w2" });
    expect(await pickIdle(r, { projectRoot: "/p/warm" })).toBe("w1");
    done(r, hold);
  });
});

describe("eligibility", () => {
  test("tags: a worker must carry every requested tag", async () => {
    const r = rig([
      { id: "w1", tags: ["fast", "ssd"] },
      { id: "w2", tags: ["ssd"], priority: 200 },
    ]);
    expect(await pickIdle(r, { tags: ["fast"] })).toBe("w1");
    expect(await pickIdle(r, { tags: ["ssd"] })).toBe("w2");
    expect(await pickIdle(r, { tags: ["fast", "ssd"] })).toBe("w1");
    expect(await pickIdle(r, { tags: ["gpu"] })).toBe(
      "local: no eligible worker (w1 lacks tag gpu; w2 lacks tag gpu)",
    );
  });

  test("enabled = false: never chosen, even when forced", async () => {
    const r = rig([{ id: "w1", enabled: false, priority: 500 }, { id: "w2" }]);
    for (let i = 0; i < 3; i++) expect(await pickIdle(r)).toBe("w2");
    expect(await pickIdle(r, { forcedWorker: "w1" })).toBe(
      "local: no eligible worker (w1 disabled in workers.toml)",
    );
  });

  test("drain: a drained worker gets nothing, persists across a restart, and enable brings it back", async () => {
    const first = rig([{ id: "w1", priority: 500 }, { id: "w2" }]);
    const st = first.fleet.get("w1")!;
    st.drained = true; // as `rch workers drain w1` does
    first.store.setDrained("w1", true);
    expect(await pickIdle(first)).toBe("w2");
    expect(await pickIdle(first, { forcedWorker: "w1" })).toBe("local: no eligible worker (w1 drained)");
    first.close();
    const again = rig([{ id: "w1", priority: 500 }, { id: "w2" }], { dir: first.dir });
    expect(again.fleet.get("w1")!.drained).toBe(true);
    expect(await pickIdle(again)).toBe("w2");
    again.fleet.get("w1")!.drained = false;
    again.store.setDrained("w1", false);
    expect(await pickIdle(again)).toBe("w1");
  });

  test("circuit: open and half-open keep a worker out; one success puts it back", async () => {
    const r = rig([{ id: "w1", priority: 500 }, { id: "w2" }], {
      daemon: { circuit_failure_threshold: 2, circuit_cooldown_s: 1 },
    });
    const c = r.fleet.get("w1")!.circuit;
    const t0 = Date.now();
    c.failure(t0);
    expect(await pickIdle(r)).toBe("w1"); // one failure is not enough
    c.failure(t0);
    expect(c.state).toBe("open");
    expect(await pickIdle(r)).toBe("w2");
    expect(await pickIdle(r, { forcedWorker: "w1" })).toBe("local: no eligible worker (w1 circuit open)");
    c.tick(t0 + 1000);
    expect(await pickIdle(r, { forcedWorker: "w1" })).toBe(
      "local: no eligible worker (w1 circuit half-open)",
    );
    c.success();
    expect(await pickIdle(r)).toBe("w1");
  });

  test("RCH_WORKER and RCH_WORKERS restrict the choice", async () => {
    const r = rig([{ id: "w1", priority: 300 }, { id: "w2", priority: 200 }, { id: "w3" }]);
    expect(await pickIdle(r, { forcedWorker: "w3" })).toBe("w3");
    expect(await pickIdle(r, { allowedWorkers: ["w2", "w3"] })).toBe("w2");
    expect(await pickIdle(r, { forcedWorker: "zz" })).toBe("local: RCH_WORKER=zz is not a configured worker");
    expect(await pickIdle(r, { allowedWorkers: ["zz"] })).toBe("local: no eligible worker (none allowed)");
  });
});

describe("the waiting line", () => {
  test("waiters are served first come, first served as slots free up", async () => {
    const r = rig([{ id: "w1", total_slots: 1 }]);
    const hold = await lease(r);
    const served: string[] = [];
    const waiters = ["A", "B", "C"].map((name) =>
      Promise.resolve(r.scheduler.select(spec(), 5000, 1, true)).then((s) => {
        served.push(name);
        return s;
      }),
    );
    expect(r.scheduler.queue.length).toBe(3);
    done(r, hold);
    const a = (await waiters[0]!) as Lease;
    expect(a.kind).toBe("lease");
    expect(a.waitedMs).toBeGreaterThanOrEqual(0);
    expect(served).toEqual(["A"]);
    done(r, a);
    const b = (await waiters[1]!) as Lease;
    expect(served).toEqual(["A", "B"]);
    done(r, b);
    done(r, (await waiters[2]!) as Lease);
    expect(served).toEqual(["A", "B", "C"]);
    expect(r.scheduler.queue.length).toBe(0);
  });

  test("a waiter for a busy worker does not block a later one that another worker can take", async () => {
    const r = rig([
      { id: "w1", total_slots: 1 },
      { id: "w2", total_slots: 1 },
    ]);
    const h1 = await lease(r, { forcedWorker: "w1" });
    const h2 = await lease(r, { forcedWorker: "w2" });
    const forW1 = Promise.resolve(r.scheduler.select(spec({ forcedWorker: "w1" }), 5000, 1, true));
    const forW2 = Promise.resolve(r.scheduler.select(spec({ forcedWorker: "w2" }), 5000, 1, true));
    done(r, h2);
    const second = (await forW2) as Lease;
    expect(second.worker.id).toBe("w2");
    expect(r.scheduler.queue.length).toBe(1); // the w1 waiter is still in line
    done(r, h1);
    expect(((await forW1) as Lease).worker.id).toBe("w1");
    done(r, second);
  });

  test("a wait that runs out goes local with the reason, and the history says so", async () => {
    const r = rig([{ id: "w1", total_slots: 1 }]);
    const hold = await lease(r);
    const t0 = performance.now();
    const s = await select(r, { projectRoot: "/p/late" }, 100);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(describe_(s)).toBe("local: all eligible workers stayed busy for 100 ms");
    expect(r.scheduler.queue.length).toBe(0);
    const late = r.history.recent(10).filter((j) => j.project === "/p/late");
    expect(late).toMatchObject([{ state: "local", reason: "all eligible workers stayed busy for 100 ms" }]);
    expect(r.history.stats().localSelections).toBe(1);
    done(r, hold);
  });

  test("a client that disconnects while in line loses its place", async () => {
    const r = rig([{ id: "w1", total_slots: 1 }]);
    const hold = await lease(r);
    const gone = Promise.resolve(r.scheduler.select(spec(), 5000, 7, true));
    const next = Promise.resolve(r.scheduler.select(spec(), 5000, 8, true));
    r.scheduler.connectionClosed(7);
    expect(r.scheduler.queue.length).toBe(1);
    done(r, hold);
    expect(((await next) as Lease).worker.id).toBe("w1");
    // The disconnected one was dropped: only the job that got the slot is active.
    expect(r.scheduler.activeJobs().map((j) => j.worker)).toEqual(["w1"]);
    expect(r.leases.all().length).toBe(1);
    void gone; // never settles: its client is gone, nobody reads an answer
  });
});

describe("sharing a worker's copy of a project", () => {
  test("shared (cargo-like) builds of one project run side by side in one copy", async () => {
    const r = rig([{ id: "w1", total_slots: 4 }]);
    const a = await lease(r, { projectRoot: "/p/rust", argv: ["cargo", "build"], sharedCopy: true });
    const b = await lease(r, { projectRoot: "/p/rust", argv: ["cargo", "test"], sharedCopy: true });
    expect([a.worker.id, b.worker.id]).toEqual(["w1", "w1"]);
    // An in-tree build of the same project may not sync over them: it waits (here: no wait).
    expect(await place(r, { projectRoot: "/p/rust", argv: ["make"] })).toBe(
      "local: all eligible workers are busy",
    );
    done(r, a);
    done(r, b);
    expect(await place(r, { projectRoot: "/p/rust", argv: ["make"] })).toBe("w1");
  });

  test("exclusive (in-tree) builds of one project: the second goes to another worker, or waits for the copy", async () => {
    const r = rig([
      { id: "w1", total_slots: 4, priority: 300 },
      { id: "w2", total_slots: 4 },
    ]);
    const a = await lease(r, { projectRoot: "/p/c", argv: ["make", "a"] });
    expect(a.worker.id).toBe("w1");
    // w1 has free slots and the better score, but its copy of /p/c is taken.
    const b = await lease(r, { projectRoot: "/p/c", argv: ["make", "b"] });
    expect(b.worker.id).toBe("w2");
    // Both copies busy: a third waits in line and gets the first copy freed.
    const c = Promise.resolve(
      r.scheduler.select(spec({ projectRoot: "/p/c", argv: ["make", "c"] }), 5000, 1, true),
    );
    expect(r.scheduler.queue.length).toBe(1);
    done(r, b);
    expect(((await c) as Lease).worker.id).toBe("w2");
    done(r, a);
  });

  test("a copy in use by shared builds comes after every free copy, whatever its score", async () => {
    const r = rig([
      { id: "w1", total_slots: 4, priority: 300 },
      { id: "w2", total_slots: 4 },
    ]);
    const cargo = { projectRoot: "/p/share", argv: ["cargo", "build"], sharedCopy: true };
    const a = await lease(r, cargo);
    expect(a.worker.id).toBe("w1");
    expect((await lease(r, { ...cargo, argv: ["cargo", "test"] })).worker.id).toBe("w2");
    // Both copies in use: sharing is allowed, so the better worker takes it.
    expect((await lease(r, { ...cargo, argv: ["cargo", "doc"] })).worker.id).toBe("w1");
  });

  test("claim after the scan: an exclusive build waits for the copy, then leads", async () => {
    const r = rig([{ id: "w1", total_slots: 4 }]);
    const a = await lease(r, { projectRoot: "/p/late", argv: ["make", "a"], sourceState: "" });
    const b = await lease(r, { projectRoot: "/p/late", argv: ["make", "b"], sourceState: "" });
    expect(await r.scheduler.claim(a.lease.id, "tree-1", 5000)).toEqual({ kind: "lead" });
    const bClaim = Promise.resolve(r.scheduler.claim(b.lease.id, "tree-1", 5000));
    expect(r.scheduler.copies.waiting).toBe(1);
    expect(r.scheduler.activeJobs().map((j) => j.state)).toEqual(["running", "waiting"]);
    done(r, a);
    expect(await bClaim).toEqual({ kind: "lead" });
    done(r, b);
  });
});

describe("the score formula", () => {
  /** The formula as the README's "Selection" section prints it, turned into a function. */
  function readmeFormula(): (x: Record<string, number | boolean>) => number {
    const readme = readFileSync(resolve(import.meta.dir, "../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Selection"));
    const line = /^score = (.*)$/m.exec(section)?.[1];
    if (!line) throw new Error("no 'score = …' line in the README's Selection section");
    const js = line
      .replaceAll("×", "*")
      .replace(/\(([\d.]+) if (\w+)\)/g, "($2 ? $1 : 1)")
      .trim();
    const names = ["speed", "priority", "free_slots", "total_slots", "warm"];
    expect(js).toMatch(/^[\w\s.*/+?:()]+$/); // nothing but arithmetic over these names
    const f = new Function(...names, `return ${js};`) as (...a: (number | boolean)[]) => number;
    return (x) => f(...names.map((n) => x[n]!));
  }

  test("score() is the README's formula", () => {
    const formula = readmeFormula();
    const r = rig([{ id: "w1" }]);
    const st = r.fleet.get("w1")!;
    let cases = 0;
    for (const sp of [undefined, 35, 100, 250])
      for (const priority of [1, 50, 100, 300])
        for (const total of [1, 4, 16])
          for (const used of [0, 1, total])
            for (const warm of [false, true]) {
              if (used > total) continue;
              if (sp === undefined) delete st.speed;
              else st.speed = speed("w1", sp);
              st.config = { ...st.config, priority, total_slots: total };
              st.used = used;
              const expected = formula({
                speed: sp ?? DEFAULT_SPEED,
                priority,
                free_slots: total - used,
                total_slots: total,
                warm,
              });
              expect(score(st, warm)).toBeCloseTo(expected, 9);
              cases++;
            }
    expect(cases).toBeGreaterThan(150);
    st.used = 0;
  });

  test("a priority below 1 counts as 1 (as the README says)", () => {
    const r = rig([{ id: "w1", priority: 1 }]);
    const st = r.fleet.get("w1")!;
    const one = score(st, false);
    for (const p of [0, -5]) {
      st.config = { ...st.config, priority: p };
      expect(score(st, false)).toBe(one);
    }
  });

  test("the daemon logs the score it chose by", async () => {
    const r = rig([{ id: "w1", priority: 150 }]);
    await lease(r, { projectRoot: "/p/log" });
    expect(r.logged()).toMatch(/→ w1 \(score 150\.0\)/);
  });
});
