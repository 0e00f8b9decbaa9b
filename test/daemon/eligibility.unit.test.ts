// One eligibility rule for the daemon and the dry run, in-process: for a matrix of fleets and
// request constraints, the dry run's first candidate is the worker the daemon's pickWorker picks
// on an idle fleet (its candidates are exactly the workers the daemon accepts), and when the
// daemon has none, the dry run says so with the same reason.
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { runtimeSwitches } from "../../src/config/env.ts";
import { defaultConfig, type WorkerConfig, workerSchema } from "../../src/config/schema.ts";
import { Fleet } from "../../src/daemon/fleet.ts";
import { pickWorker } from "../../src/daemon/select.ts";
import { orderCandidates } from "../../src/exec/candidates.ts";
import { ineligible } from "../../src/protocol/eligible.ts";
import { type JobSpec, jobSpec } from "../../src/protocol/requests.ts";

const worker = (over: Partial<WorkerConfig> & { id: string }): WorkerConfig =>
  v.parse(workerSchema, { host: "127.0.0.1", ...over });

const FLEETS: Record<string, WorkerConfig[]> = {
  mixed: [
    worker({ id: "w1", tags: ["fast", "ssd"] }),
    worker({ id: "w2", tags: ["ssd"], priority: 200 }),
    worker({ id: "w3", tags: ["fast"], priority: 300, enabled: false }),
    worker({ id: "w4", priority: 0 }),
    worker({ id: "w5", tags: ["ssd"], priority: 200 }), // ties with w2: id order
  ],
  "all disabled": [
    worker({ id: "w1", enabled: false }),
    worker({ id: "w2", enabled: false, tags: ["fast"] }),
  ],
  single: [worker({ id: "w1" })],
  empty: [],
};

const FORCED = [undefined, "w1", "w2", "w3", "w4", "nope"];
const ALLOWED = [undefined, ["w1", "w3"], ["w3"], ["nope"], ["w2", "w4", "w5"]];
const PREFERRED = [[], ["w4"], ["w3", "w1"], ["w5", "w4"], ["nope"]];
const TAGS = [[], ["fast"], ["ssd"], ["gpu"], ["fast", "ssd"]];

interface Request {
  forcedWorker?: string;
  allowedWorkers?: string[];
  preferredWorkers: string[];
  tags: string[];
}

function* requests(): Generator<Request> {
  for (const forced of FORCED)
    for (const allowed of ALLOWED)
      for (const preferredWorkers of PREFERRED)
        for (const tags of TAGS)
          yield {
            preferredWorkers,
            tags,
            ...(forced ? { forcedWorker: forced } : {}),
            ...(allowed ? { allowedWorkers: allowed } : {}),
          };
}

const spec = (r: Request): JobSpec =>
  v.parse(jobSpec, { projectRoot: "/p", kind: "make", argv: ["make"], env: {}, sourceState: "", ...r });

function idleFleet(configs: WorkerConfig[]): Fleet {
  const cfg = defaultConfig().daemon;
  const fleet = new Fleet(cfg);
  fleet.update(configs, cfg);
  return fleet;
}

describe("the dry run agrees with the daemon", () => {
  for (const [name, configs] of Object.entries(FLEETS)) {
    test(`fleet '${name}': every combination of RCH_WORKER, RCH_WORKERS, preferred_workers and RCH_TAGS`, () => {
      const fleet = idleFleet(configs);
      let remote = 0;
      let local = 0;
      for (const r of requests()) {
        const pick = pickWorker(fleet.list(), spec(r), undefined);
        const dry = orderCandidates(configs, r);
        const label = JSON.stringify(r);
        if (pick.kind === "none") {
          local++;
          expect({ label, dry }).toEqual({ label, dry: { ok: false, reason: pick.reason } });
          continue;
        }
        remote++;
        expect({ label, pick: pick.kind }).toEqual({ label, pick: "worker" }); // idle: never busy
        if (pick.kind !== "worker" || !dry.ok) throw new Error(`dry run said local for ${label}`);
        expect({ label, first: dry.workers[0]!.id }).toEqual({ label, first: pick.state.config.id });
        // Every candidate shown is one the daemon accepts, and none it accepts is left out.
        const accepted = configs
          .filter((c) => r.forcedWorker === undefined || c.id === r.forcedWorker)
          .filter(
            (c) => pickWorker(fleet.list(), spec({ ...r, forcedWorker: c.id }), undefined).kind === "worker",
          )
          .map((c) => c.id);
        expect({ label, ids: dry.workers.map((w) => w.id).sort() }).toEqual({ label, ids: accepted.sort() });
      }
      // The matrix reaches both outcomes (except where the fleet allows only one).
      if (name === "mixed") expect(remote > 0 && local > 0).toBe(true);
      if (name === "empty" || name === "all disabled") expect(remote).toBe(0);
    });
  }

  test("RCH_WORKER does not switch a disabled worker back on: both say why", () => {
    const configs = FLEETS.mixed!;
    const r = { forcedWorker: "w3", preferredWorkers: [], tags: [] };
    const pick = pickWorker(idleFleet(configs).list(), spec(r), undefined);
    expect(pick).toEqual({ kind: "none", reason: "no eligible worker (w3 disabled in workers.toml)" });
    expect(orderCandidates(configs, r)).toEqual({
      ok: false,
      reason: pick.kind === "none" ? pick.reason : "",
    });
  });

  test("RCH_TAGS counts in the dry run, read from the environment like RCH_WORKER(S)", () => {
    const sw = runtimeSwitches({ RCH_TAGS: " gpu, fast ,", RCH_WORKERS: "w1,w2" });
    expect(sw.tags).toEqual(["gpu", "fast"]);
    expect(runtimeSwitches({ RCH_TAGS: " , " }).tags).toBeUndefined();
    const r = { preferredWorkers: [], allowedWorkers: sw.workers!, tags: sw.tags! };
    expect(orderCandidates(FLEETS.mixed!, r)).toEqual({
      ok: false,
      reason: "no eligible worker (w1 lacks tag gpu; w2 lacks tag gpu)",
    });
  });
});

describe("runtime state only the daemon knows", () => {
  test("drained and an open circuit refuse a worker; without them the rule accepts it", () => {
    const fleet = idleFleet(FLEETS.single!);
    const st = fleet.get("w1")!;
    const req = { tags: [] };
    expect(ineligible(st, req)).toBeUndefined();
    expect(ineligible({ config: st.config }, req)).toBeUndefined();
    st.drained = true;
    expect(ineligible(st, req)).toBe("drained");
    expect(pickWorker(fleet.list(), spec({ preferredWorkers: [], tags: [] }), undefined)).toEqual({
      kind: "none",
      reason: "no eligible worker (w1 drained)",
    });
    st.drained = false;
    for (let i = 0; i < defaultConfig().daemon.circuit_failure_threshold; i++) st.circuit.failure(Date.now());
    expect(ineligible(st, req)).toBe("circuit open");
    // The dry run cannot see either: it shows the worker, and the real run says local with this reason.
    expect(orderCandidates(FLEETS.single!, { preferredWorkers: [] })).toMatchObject({ ok: true });
  });
});

describe("disk space (runtime input from heartbeats)", () => {
  const GB = 1024 * 1024; // kB
  const rt = (reserveKb = 0, now = Date.now()) => ({ now, diskMaxAgeMs: 60_000, reserveKb: () => reserveKb });
  const req = { tags: [] };
  const one = () => {
    const fleet = idleFleet([worker({ id: "w1", min_free_gb: 10 })]);
    return { fleet, st: fleet.get("w1")! };
  };

  test("below min_free_gb: refused, the reason names the disk, free space and the floor", () => {
    const { fleet, st } = one();
    st.disk = { availKb: 0.4 * GB, totalKb: 500 * GB, at: Date.now() };
    expect(ineligible(st, req, rt())).toBe("is short of disk space (0.4 GB free, min_free_gb 10)");
    expect(pickWorker(fleet.list(), spec({ preferredWorkers: [], tags: [] }), undefined, rt())).toEqual({
      kind: "none",
      reason: "no eligible worker (w1 is short of disk space (0.4 GB free, min_free_gb 10))",
    });
    // The dry run has no heartbeats: it shows the worker; the real run then says why not.
    expect(orderCandidates([st.config], { preferredWorkers: [] })).toMatchObject({ ok: true });
    // Without the runtime input the rule is what it was.
    expect(ineligible(st, req)).toBeUndefined();
  });

  test("room for the project's copy counts when it is not on the worker yet", () => {
    const { st } = one();
    st.disk = { availKb: 11 * GB, totalKb: 500 * GB, at: Date.now() };
    expect(ineligible(st, req, rt(0))).toBeUndefined();
    expect(ineligible(st, req, rt(2 * GB))).toBe(
      "is short of disk space (11 GB free, min_free_gb 10 + 2 GB for this project's copy)",
    );
  });

  test("facts older than allowed never block; an ENOSPC mark blocks until cleared", () => {
    const { st } = one();
    const now = Date.now();
    st.disk = { availKb: 0, totalKb: 500 * GB, at: now - 61_000 };
    expect(ineligible(st, req, rt(0, now))).toBeUndefined();
    st.diskFull = true;
    expect(ineligible(st, req, rt(0, now))).toBe(
      "is out of disk space (a build there failed for lack of space)",
    );
  });

  test("decimal floors for small disks", () => {
    const fleet = idleFleet([worker({ id: "w1", min_free_gb: 0.02 })]);
    const st = fleet.get("w1")!;
    st.disk = { availKb: 20_000, totalKb: 65_536, at: Date.now() };
    expect(ineligible(st, req, rt())).toBe("is short of disk space (0.019 GB free, min_free_gb 0.02)");
    st.disk = { availKb: 21_000, totalKb: 65_536, at: Date.now() };
    expect(ineligible(st, req, rt())).toBeUndefined();
  });
});
