// The daemon and a worker's disk, on the real bed (a 64 MiB tmpfs remote_root, real sshd, real
// heartbeats, real GC runs, real `rch exec` builds): a worker short of space gets no builds, each
// with one line naming the disk, and gets them again once a heartbeat shows space; a worker short
// of space with evictable copies gets a background GC at once; a build's ENOSPC keeps builds away
// until a heartbeat shows space.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StatusSnapshot } from "../../src/protocol/status.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import {
  admin,
  type DaemonProc,
  job,
  makeEnv,
  type RchEnv,
  selector,
  startDaemon,
  waitFor,
} from "../daemon/helpers.ts";
import { expectFellBack, expectRanRemotely, expectSameOutput, Scenario } from "../exec-scenarios/harness.ts";
import type { Outcome } from "../exec-scenarios/proc.ts";
import { rchBinary } from "../exec-scenarios/rchbin.ts";
import { clearRoot, copiesOn, df, fill, MB, stageCopies } from "./stage.ts";

setDefaultTimeout(120_000);

const DAY = 86_400;
let fleet: Fleet;

beforeAll(async () => {
  await rchBinary();
  fleet = await startFleet({ workers: [{ id: "w1", rootSize: "64m" }], toolchains: ["cc"] });
}, 240_000);

afterAll(async () => {
  await fleet?.stop();
});

const w1 = () => fleet.worker("w1");

/** A make-c scenario whose rch talks to w1 with a 20 MiB floor, 1 s heartbeats and this [gc]. */
async function scenario(gc: string): Promise<Scenario> {
  const sc = await Scenario.create({ fixture: "make-c", fleet });
  writeFileSync(join(sc.cfgDir, "workers.toml"), fleet.workersToml({ min_free_gb: 0.02 }));
  writeFileSync(
    join(sc.cfgDir, "config.toml"),
    "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n" +
      "[daemon]\nheartbeat_interval_s = 1\n" +
      `[gc]\nnew_copy_reserve_gb = 0.002\ngc_headroom_gb = 0.004\n${gc}`,
  );
  return sc;
}

async function rchCmd(sc: Scenario, args: string[]): Promise<Outcome> {
  return sc.startRaw([await rchBinary(), ...args]).done;
}

async function status(sc: Scenario): Promise<StatusSnapshot> {
  const r = await rchCmd(sc, ["--format", "json", "status"]);
  if (r.code !== 0) throw new Error(`rch status exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusSnapshot;
}

async function disk(sc: Scenario) {
  return (await status(sc)).workers[0]!.disk!;
}

describe("admission", () => {
  test("a worker short of space gets no builds, each with one line naming the disk; builds come back with space", async () => {
    const w = w1();
    clearRoot(w);
    const sc = await scenario("auto = true\n");
    try {
      const filler = fill(w, 50 * MB); // not a copy: no GC may touch it
      expect((await df(w)).availKb).toBeLessThan(0.02 * MB);
      expect((await rchCmd(sc, ["daemon", "start"])).code).toBe(0);
      await waitFor(
        "a heartbeat with disk facts",
        async () => (await disk(sc)).availKb !== undefined,
        15_000,
      );
      const local = await sc.local(["make"]);
      for (let i = 0; i < 3; i++) {
        const o = await sc.rch(["make"]);
        expectFellBack(
          o,
          /^no eligible worker \(w1 is short of disk space \([\d.]+ GB free, min_free_gb 0\.02/,
        );
        expectSameOutput(sc, o, i === 0 ? local : await sc.local(["make"]), { fellBack: true });
      }
      expect(sc.remoteCopy()).toBeUndefined();
      const d = await disk(sc);
      expect(d.refused).toMatch(/^is short of disk space/);
      const text = await rchCmd(sc, ["status", "--disk"]);
      expect(text.stdout).toMatch(/^w1\s+[\d.]+\/64\.0 MB free/m);
      expect(text.stdout).toContain("no builds: is short of disk space");
      const workers = (await rchCmd(sc, ["status", "--workers"])).stdout;
      expect(workers.split("\n")[0]).toMatch(/\bDISK\b/);
      expect(workers).toMatch(/^w1\s.*\s[\d.]+\/64\.0 MB free/m);
      // Space again: the next heartbeat (1 s) lets builds through.
      rmSync(filler);
      // Heartbeats come every second; ten is the most a loaded machine should ever need.
      await waitFor("a heartbeat showing space", async () => (await disk(sc)).refused === undefined, 10_000);
      const o = await sc.rch(["make", "-B"]);
      expectRanRemotely(sc, o, ["calc"]);
    } finally {
      await rchCmd(sc, ["daemon", "stop"]);
      sc.dispose();
    }
  });

  test("short of space with evictable copies: a background GC at once, least recently used first", async () => {
    const w = w1();
    clearRoot(w);
    const old = ["a-0000000000f1", "b-0000000000f2", "c-0000000000f3", "d-0000000000f4", "e-0000000000f5"];
    await stageCopies(
      w,
      old.map((name, i) => ({ name, bytes: 10 * MB, ago: (6 - i) * DAY })),
    );
    expect((await df(w)).availKb).toBeLessThan(0.02 * MB);
    const sc = await scenario("auto = true\nkeep_recent_h = 2\n");
    try {
      expect((await rchCmd(sc, ["daemon", "start"])).code).toBe(0);
      await waitFor(
        "the GC after the first heartbeat",
        async () => (await disk(sc)).lastGc !== undefined,
        20_000,
      );
      const d = await disk(sc);
      expect(d.lastGc).toMatchObject({ trigger: "short", ok: true, met: true });
      expect(d.lastGc!.freedKb).toBeGreaterThanOrEqual(10 * 1024);
      const left = copiesOn(w);
      expect(left).toEqual(old.slice(old.length - left.length)); // the newest survive
      expect((await df(w)).availKb).toBeGreaterThanOrEqual(0.02 * MB);
      const text = (await rchCmd(sc, ["status", "--disk"])).stdout;
      expect(text).toMatch(/LAST GC/);
      expect(text).toMatch(/\(short\): freed [\d.]+ MB/);
      expectRanRemotely(sc, await sc.rch(["make"]), ["calc"]);
    } finally {
      await rchCmd(sc, ["daemon", "stop"]);
      sc.dispose();
    }
  });
});

describe("the budget", () => {
  test("over max_disk_gb by the census: a GC brings rch's usage under budget - headroom", async () => {
    const w = w1();
    clearRoot(w);
    const names = ["p-0000000000a1", "q-0000000000a2", "r-0000000000a3", "s-0000000000a4"];
    await stageCopies(
      w,
      names.map((name, i) => ({ name, bytes: 8 * MB, ago: (5 - i) * DAY })),
    );
    const sc = await scenario("auto = true\n");
    // Plenty of free space (~32 MB), but a 20 MB budget: the census finds 32 MB in use.
    writeFileSync(
      join(sc.cfgDir, "workers.toml"),
      fleet.workersToml({ min_free_gb: 0.001, max_disk_gb: 0.02 }),
    );
    try {
      expect((await rchCmd(sc, ["daemon", "start"])).code).toBe(0);
      await waitFor("the budget GC", async () => (await disk(sc)).lastGc !== undefined, 20_000);
      const d = await disk(sc);
      expect(d.lastGc).toMatchObject({ trigger: "budget", ok: true, met: true });
      // Budget 20 MB minus headroom (4 MB, at most a tenth of the budget: 2 MB): two copies go.
      expect(copiesOn(w)).toEqual(names.slice(2));
      expect(d.census!.usageKb).toBeLessThanOrEqual(0.018 * MB);
      expect(d.census!.copies).toBe(2);
    } finally {
      await rchCmd(sc, ["daemon", "stop"]);
      sc.dispose();
    }
  });
});

describe("a build's ENOSPC (release with diskFull)", () => {
  let rch: RchEnv;
  let daemon: DaemonProc;

  beforeAll(async () => {
    clearRoot(w1());
    rch = makeEnv(fleet);
    rch.writeWorkers(fleet.workersToml({ min_free_gb: 0.01 }));
    // Slow heartbeats: only the refresh asked for below may clear the mark.
    rch.writeConfig({ daemon: { heartbeat_interval_s: 60 }, gc: { new_copy_reserve_gb: 0 } });
    daemon = await startDaemon(rch);
    await waitFor("the first heartbeat", async () => {
      const s = await admin(rch).status(0);
      return s.workers[0]?.disk?.availKb !== undefined;
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    rch?.cleanup();
  });

  test("no builds there until a reading of its disk shows space; a GC starts at once", async () => {
    const sel = selector(rch);
    const c = admin(rch);
    try {
      const first = await sel.select(job());
      if (first.kind !== "worker") throw new Error(`expected a worker, got ${JSON.stringify(first)}`);
      await first.lease.release({ kind: "remote", exitCode: 1, remoteMs: 10, diskFull: true });
      const refused = await sel.select(job());
      expect(refused).toEqual({
        kind: "local",
        reason: "no eligible worker (w1 is out of disk space (a build there failed for lack of space))",
      });
      await waitFor("the log line", () =>
        daemon.log().includes("w1: a build failed for lack of disk space there"),
      );
      // The GC it started measures the disk when it ends: there is space, so the mark goes.
      await waitFor(
        "the GC it started",
        async () => (await c.status(0)).workers[0]!.disk!.lastGc !== undefined,
      );
      const d = (await c.status(0)).workers[0]!.disk!;
      expect(d.lastGc).toMatchObject({ trigger: "disk-full", ok: true, met: true });
      expect(d.full).toBeUndefined();
      const again = await sel.select(job());
      expect(again.kind).toBe("worker");
      if (again.kind === "worker") await again.lease.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
      // `rch workers gc` asks for a fresh reading: a heartbeat now, not in a minute.
      const beat = (await c.status(0)).workers[0]!.lastHeartbeatAt!;
      await c.diskRefresh(["w1"]);
      await waitFor("a heartbeat", async () => (await c.status(0)).workers[0]!.lastHeartbeatAt! > beat);
    } finally {
      c.close();
      sel.close();
    }
  });
});
