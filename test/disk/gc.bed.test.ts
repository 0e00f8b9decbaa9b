// `rch workers gc` against a real bed worker whose remote_root is a 64 MiB tmpfs of its own: real
// sshd, real gc.sh runs, fake copies staged with `touch -t` stamps. Eviction order (LRU by stamp),
// the keep_recent_h grace and its critical override, the incremental stage, copies whose lock a
// separate session holds, GC sessions SIGKILLed at random moments, and the dry run's prediction
// against df.
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { workerSchema } from "../../src/config/schema.ts";
import { runGc } from "../../src/ssh/gc.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { makeEnv, type RchEnv, rchCli, waitFor } from "../daemon/helpers.ts";
import {
  clearRoot,
  copiesOn,
  df,
  type FakeCopy,
  fill,
  holdCopyLock,
  killWorkerProcs,
  MB,
  stageCopies,
} from "./stage.ts";

setDefaultTimeout(120_000);

/** Command lines of the processes running as this uid. */
function procsOf(uid: number): Promise<string>[] {
  const out: Promise<string>[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    out.push(
      (async () => {
        try {
          const status = await Bun.file(`/proc/${pid}/status`).text();
          if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid) return "";
          return (await Bun.file(`/proc/${pid}/cmdline`).text()).replaceAll("\0", " ");
        } catch {
          return "";
        }
      })(),
    );
  }
  return out;
}

const DAY = 86_400;
let fleet: Fleet;
let rch: RchEnv;

beforeAll(async () => {
  fleet = await startFleet({ workers: [{ id: "w1", rootSize: "64m" }], toolchains: ["cc"] });
  rch = makeEnv(fleet);
  // The in-process runs (runGc) use the same ssh config and master dir as the CLI's.
  process.env.RCH_CACHE_DIR = rch.env.RCH_CACHE_DIR;
  process.env.RCH_SSH_CONFIG = rch.env.RCH_SSH_CONFIG;
}, 240_000);

afterAll(async () => {
  await fleet?.stop();
  rch?.cleanup();
});

const w1 = () => fleet.worker("w1");

beforeEach(() => clearRoot(w1()));

/** workers.toml with these disk limits, config.toml with this [gc] policy. */
function policy(
  worker: { min_free_gb: number; max_disk_gb?: number },
  gc: Partial<RchEnv["config"]["gc"]> = {},
) {
  rch.writeWorkers(fleet.workersToml(worker));
  rch.writeConfig({ gc: { gc_headroom_gb: 0.004, keep_recent_h: 2, critical_free_gb: 0, ...gc } });
}

interface Row {
  copy: string;
  action: string;
  why: string;
  reason: string;
  sizeKb: number;
  freedKb: number;
  project: string | null;
  owner: string | null;
}
interface WorkerJson {
  worker: string;
  ok: boolean;
  end: { availBeforeKb: number; availAfterKb: number; freedKb: number; met: boolean };
  copies: Row[];
}

async function gcJson(args: string[]): Promise<WorkerJson> {
  const r = await rchCli(rch, ["--format", "json", "workers", "gc", "w1", ...args], 60_000);
  if (r.code !== 0) throw new Error(`rch workers gc exited ${r.code}: ${r.stderr}${r.stdout}`);
  return (JSON.parse(r.stdout) as { workers: WorkerJson[] }).workers[0]!;
}

const copy = (name: string, ago: number, bytes = 8 * MB, extra: Partial<FakeCopy> = {}): FakeCopy => ({
  name,
  ago,
  bytes,
  ...extra,
});

/** Six 8 MB copies whose names do not sort in their LRU order; oldest first in the result. */
const SIX = [
  copy("zeta-0000000000a1", 6 * DAY),
  copy("alpha-0000000000a2", 5 * DAY),
  copy("mid-0000000000a3", 4 * DAY),
  copy("beta-0000000000a4", 3 * DAY),
  copy("omega-0000000000a5", 2 * DAY),
  copy("gamma-0000000000a6", 1 * DAY),
];

describe("eviction", () => {
  test("least recently used first, just enough for min_free_gb + headroom; the dry run predicts df within 5 %", async () => {
    const w = w1();
    await stageCopies(w, SIX);
    policy({ min_free_gb: 0.02 });
    const before = await df(w);
    expect(before.availKb).toBeLessThan(0.02 * MB); // short of the floor: GC has work

    const plan = await gcJson(["--dry-run"]);
    expect(plan.copies.map((c) => c.copy)).toEqual(SIX.map((c) => c.name));
    const removed = plan.copies.filter((c) => c.action === "remove").map((c) => c.copy);
    expect(removed.length).toBeGreaterThan(0);
    expect(removed).toEqual(SIX.slice(0, removed.length).map((c) => c.name)); // a prefix: LRU
    expect(plan.copies.slice(removed.length).every((c) => c.action === "keep" && c.why === "enough")).toBe(
      true,
    );
    expect(plan.copies[0]).toMatchObject({ project: `/home/u/${SIX[0]!.name}`, owner: "ws-a" });
    expect(plan.copies[0]!.reason).toBe("remove: free space below the goal");
    expect(await df(w)).toEqual(before); // a dry run changes nothing
    expect(copiesOn(w)).toEqual(SIX.map((c) => c.name).sort());

    const done = await gcJson([]);
    const after = await df(w);
    expect(done.copies.map((c) => [c.copy, c.action])).toEqual(plan.copies.map((c) => [c.copy, c.action]));
    expect(copiesOn(w)).toEqual(
      SIX.slice(removed.length)
        .map((c) => c.name)
        .sort(),
    );
    expect(done.end.met).toBe(true);
    // The prediction against what df says really happened.
    const predicted = plan.end.availAfterKb - plan.end.availBeforeKb;
    const real = after.availKb - before.availKb;
    expect(Math.abs(predicted - real)).toBeLessThanOrEqual(0.05 * real);
    // Stamps of removed copies are gone, lock files stay (a build may be waiting on one).
    const rchDir = join(w.remoteRoot, ".rch");
    expect(readdirSync(join(rchDir, "stamps")).sort()).toEqual(
      SIX.slice(removed.length)
        .map((c) => c.name)
        .sort(),
    );
    expect(readdirSync(join(rchDir, "locks")).length).toBe(SIX.length);
    expect(readdirSync(join(rchDir, "trash"))).toEqual([]);
  });

  test("the text table: one row per copy with project, owner, last use, size and why; then free before → after", async () => {
    const w = w1();
    await stageCopies(w, SIX.slice(0, 3));
    policy({ min_free_gb: 0.01, max_disk_gb: 0.02 });
    const r = await rchCli(rch, ["workers", "gc", "w1", "--dry-run"], 60_000);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^WORKER\s+COPY\s+PROJECT \(OWNER\)\s+LAST USE\s+SIZE\s+ACTION$/);
    expect(lines[1]).toMatch(
      /^w1\s+zeta-0000000000a1\s+\/home\/u\/zeta-0000000000a1 \(ws-a\)\s+6 d ago\s+8\.0 MB\s+remove: over max_disk_gb$/,
    );
    expect(lines[3]).toMatch(/^w1\s+mid-0000000000a3\s+.*4 d ago\s+8\.0 MB\s+keep$/);
    expect(r.stdout).toMatch(
      /w1: [\d.]+ MB free of 64\.0 MB → [\d.]+ MB predicted; would free 8\.0 MB \(min_free_gb 0\.01, max_disk_gb 0\.02, rch uses 24\.\d MB → 16\.\d MB\)/,
    );
    expect(r.stdout).toContain("dry run: nothing was changed");
  });

  test("keep_recent_h: recent copies stay, unless free space is below the critical level", async () => {
    const w = w1();
    const copies = [
      copy("old1-0000000000b1", 3 * DAY, 3 * MB),
      copy("old2-0000000000b2", 2 * DAY, 3 * MB),
      copy("new1-0000000000b3", 1800),
      copy("new2-0000000000b4", 600),
    ];
    await stageCopies(w, copies);
    fill(w, 36 * MB); // even without the old ones, free space stays below the floor
    policy({ min_free_gb: 0.03 }, { keep_recent_h: 2, critical_free_gb: 0 });
    const kept = await gcJson([]);
    expect(kept.copies.map((c) => [c.copy, c.action, c.why])).toEqual([
      ["old1-0000000000b1", "remove", "free"],
      ["old2-0000000000b2", "remove", "free"],
      ["new1-0000000000b3", "keep", "recent"],
      ["new2-0000000000b4", "keep", "recent"],
    ]);
    expect(kept.copies[2]!.reason).toBe("keep: used < 2 h ago");
    expect(kept.end.met).toBe(false);
    expect(copiesOn(w)).toEqual(["new1-0000000000b3", "new2-0000000000b4"]);
    // critical_free_gb 1 is clamped to half the floor (~15 MB), and free space is below that:
    // the grace gives way, until free space is above the critical level again.
    expect((await df(w)).availKb).toBeLessThan(0.015 * MB);
    policy({ min_free_gb: 0.03 }, { keep_recent_h: 2, critical_free_gb: 1 });
    const critical = await gcJson([]);
    expect(critical.copies.map((c) => [c.copy, c.action, c.why])).toEqual([
      ["new1-0000000000b3", "remove", "critical"],
      ["new2-0000000000b4", "keep", "recent"],
    ]);
    expect(copiesOn(w)).toEqual(["new2-0000000000b4"]);
  });

  test("stage 1: incremental dirs of copies idle > trim_incremental_after_d go before any copy", async () => {
    const w = w1();
    const copies = [
      copy("idle-0000000000c1", 5 * DAY, 2 * MB, { incrementalBytes: 14 * MB }),
      copy("busy-0000000000c2", DAY, 2 * MB, { incrementalBytes: 14 * MB }), // not idle long enough
      copy("new-0000000000c3", 3600, 8 * MB),
    ];
    await stageCopies(w, copies);
    fill(w, 6 * MB); // ~18 MB free: below the floor; trimming the idle copy is enough
    policy({ min_free_gb: 0.02 }, { trim_incremental_after_d: 3 });
    const plan = await gcJson(["--dry-run"]);
    expect(plan.copies.map((c) => [c.copy, c.action])).toEqual([
      ["idle-0000000000c1", "trim"],
      ["busy-0000000000c2", "keep"],
      ["new-0000000000c3", "keep"],
    ]);
    expect(plan.copies[0]!.reason).toMatch(/^trim incremental \(14\.\d MB\): idle > 3 d$/);
    const done = await gcJson([]);
    expect(done.copies.map((c) => [c.copy, c.action])).toEqual(plan.copies.map((c) => [c.copy, c.action]));
    const idle = join(w.remoteRoot, "idle-0000000000c1", "target", "debug");
    expect(existsSync(join(idle, "incremental"))).toBe(false);
    expect(existsSync(join(idle, "deps", "f0.o"))).toBe(true);
    expect(existsSync(join(w.remoteRoot, "busy-0000000000c2", "target", "debug", "incremental"))).toBe(true);
  });
});

describe("in use", () => {
  test("never a copy whose lock a session holds (shared or exclusive), run after run", async () => {
    const w = w1();
    const held = [copy("held-0000000000d1", 9 * DAY), copy("heldx-0000000000d2", 8 * DAY)];
    const free = [copy("free-0000000000d3", 7 * DAY), copy("free-0000000000d4", 6 * DAY)];
    await stageCopies(w, [...held, ...free]);
    // A floor above the whole disk: everything GC may take, it takes.
    policy({ min_free_gb: 1 }, { keep_recent_h: 0 });
    const release = [await holdCopyLock(w, held[0]!.name, "-s"), await holdCopyLock(w, held[1]!.name, "-x")];
    try {
      for (let i = 0; i < 8; i++) {
        if (i > 0) await stageCopies(w, free);
        const r = await gcJson([]);
        expect(r.copies.filter((c) => c.why === "in-use").map((c) => c.copy)).toEqual(
          held.map((c) => c.name),
        );
        expect(r.copies.find((c) => c.copy === held[0]!.name)!.reason).toBe("keep: in use");
        expect(copiesOn(w)).toEqual(held.map((c) => c.name).sort());
        // The held copies are whole.
        for (const c of held)
          expect(existsSync(join(w.remoteRoot, c.name, "target", "debug", "deps", "f0.o"))).toBe(true);
      }
    } finally {
      for (const rel of release) await rel();
    }
    await gcJson([]);
    expect(copiesOn(w)).toEqual([]);
  });
});

describe("crash safety", () => {
  test("a GC session SIGKILLed at random moments never leaves a half-deleted copy; the next GC empties the trash", async () => {
    const w = w1();
    const cfg = v.parse(workerSchema, {
      id: "w1",
      host: w.host,
      port: w.port,
      user: w.user,
      identity_file: w.identityFile,
      remote_root: w.remoteRoot,
      min_free_gb: 1, // above the disk: GC takes every copy it may
    });
    const pol = { ...rch.config.gc, keep_recent_h: 0 };
    const FILES = 1500;
    const names = ["k1-0000000000e1", "k2-0000000000e2", "k3-0000000000e3"];
    const stage = () => {
      clearRoot(w);
      return stageCopies(
        w,
        names.map((n, j) => copy(n, (3 - j) * DAY, 3 * MB, { files: FILES })),
      );
    };
    // How long a whole run takes here: the kills are spread over that span.
    await stage();
    const whole = await runGc(cfg, rch.config.ssh, pol, "run");
    expect(whole.ok && whole.report.end?.met === false && copiesOn(w).length === 0).toBe(true);
    let killedMidway = 0;
    let leftInTrash = 0;
    for (let i = 0; i < 50; i++) {
      await stage();
      const running = runGc(cfg, rch.config.ssh, pol, "run");
      await Bun.sleep(Math.random() * whole.ms);
      const killed = await killWorkerProcs(w, (cmd) => cmd.includes("mode=$1 root=$2"));
      const r = await running;
      if (killed > 0 && !(r.ok && r.report.end)) killedMidway++;
      // Every copy still in place is whole: all its files are there.
      for (const n of copiesOn(w)) {
        expect({ n, files: readdirSync(join(w.remoteRoot, n, "target", "debug", "deps")).length }).toEqual({
          n,
          files: FILES,
        });
      }
      const trash = join(w.remoteRoot, ".rch", "trash");
      if (existsSync(trash) && readdirSync(trash).length > 0) leftInTrash++;
      // The next GC empties what the killed one left in the trash, then finishes the job.
      const next = await runGc(cfg, rch.config.ssh, pol, "run");
      expect(next.ok).toBe(true);
      if (existsSync(trash)) expect(readdirSync(trash)).toEqual([]);
      expect(copiesOn(w)).toEqual([]);
    }
    // The kills really landed inside runs, some of them while a copy sat in the trash.
    expect(killedMidway).toBeGreaterThan(10);
    expect(leftInTrash).toBeGreaterThan(0);
  }, 300_000); // ~50 s here
});

describe("lifeline", () => {
  test("a GC whose rch goes away (abort: Ctrl-C, a deadline, rchd stopping) stops on the worker too", async () => {
    const w = w1();
    // 400 small copies: a census takes seconds over them (a few forks per copy), and writes
    // .rch/census only at its very end.
    await stageCopies(
      w,
      Array.from({ length: 400 }, (_, i) =>
        copy(`c${i}-${(0xb00000000000 + i).toString(16)}`, DAY + i, 4096),
      ),
    );
    const cfg = v.parse(workerSchema, {
      id: "w1",
      host: w.host,
      port: w.port,
      user: w.user,
      identity_file: w.identityFile,
      remote_root: w.remoteRoot,
    });
    const gcProcs = async () =>
      (await Promise.all(procsOf(w.uid))).filter((c) => c.includes("mode=$1 root=$2")).length;
    const abort = new AbortController();
    const t0 = Date.now();
    const running = runGc(cfg, rch.config.ssh, rch.config.gc, "census", { signal: abort.signal });
    await waitFor("the GC on the worker", async () => (await gcProcs()) > 0, 10_000);
    abort.abort();
    expect((await running).ok).toBe(false);
    await waitFor("the GC on the worker to stop", async () => (await gcProcs()) === 0, 10_000);
    const stoppedAfter = Date.now() - t0;
    // It stopped where it was: the census it would have written last is not there.
    expect(existsSync(join(w.remoteRoot, ".rch", "census"))).toBe(false);
    // What a whole census takes here, for comparison (it did not stop by finishing early).
    const whole = await runGc(cfg, rch.config.ssh, rch.config.gc, "census");
    expect(whole.ok && whole.report.copies.length).toBe(400);
    expect(existsSync(join(w.remoteRoot, ".rch", "census"))).toBe(true);
    expect(stoppedAfter).toBeLessThan(whole.ms); // it stopped before it could have finished
  });
});

test("usage errors: an id or --all, a known worker", async () => {
  policy({ min_free_gb: 0.01 });
  expect((await rchCli(rch, ["workers", "gc"])).code).toBe(2);
  const unknown = await rchCli(rch, ["workers", "gc", "nope"]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("no worker 'nope'");
});
