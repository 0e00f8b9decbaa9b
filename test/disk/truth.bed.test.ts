// A full disk on the worker never ends in an exit 0 over stale artifacts: when the build's
// outputs cannot even be listed there, rch exits 219 and names the worker's disk; when the build
// fails for lack of space, it keeps its own exit code and one line names the worker's disk; and
// that worker gets no builds until it has space again. Real sshd, a 24 MiB tmpfs remote_root.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { expectFellBack, fallbackReason, Scenario } from "../exec-scenarios/harness.ts";
import { splitRchLines } from "../exec-scenarios/normalize.ts";
import { rchBinary } from "../exec-scenarios/rchbin.ts";

setDefaultTimeout(120_000);

let fleet: Fleet;
beforeAll(async () => {
  await rchBinary();
  fleet = await startFleet({ workers: [{ id: "w1", rootSize: "24m" }], toolchains: ["cc"] });
}, 240_000);
afterAll(async () => {
  await fleet?.stop();
});

/** A make-c scenario on w1: a 4 MiB floor, 1 s heartbeats. */
async function scenario(): Promise<Scenario> {
  const sc = await Scenario.create({ fixture: "make-c", fleet });
  writeFileSync(join(sc.cfgDir, "workers.toml"), fleet.workersToml({ min_free_gb: 0.004 }));
  writeFileSync(
    join(sc.cfgDir, "config.toml"),
    "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n[daemon]\nheartbeat_interval_s = 1\n" +
      "[gc]\nauto = false\nnew_copy_reserve_gb = 0.001\n",
  );
  return sc;
}

test("a build that leaves no room to list its outputs: 219 naming the worker's disk, never 0", async () => {
  const sc = await scenario();
  try {
    const r = await sc.rch(["make", "fill"]);
    expect(r.code).toBe(219);
    expect(splitRchLines(r.stderr).rch).toEqual([
      "rch: artifacts not returned: worker w1 is out of disk space",
    ]);
    expect(existsSync(join(sc.rchDir, "calc"))).toBe(false); // nothing pretends to be the new build
  } finally {
    const copy = sc.remoteCopy();
    if (copy) rmSync(join(copy.dir, "filler.bin"), { force: true });
  }
});

test("a build failing for lack of space: its own code, one line naming the disk; no builds until space", async () => {
  const sc = await scenario();
  let copy: string | undefined;
  try {
    const r = await sc.rch(["make", "big"]);
    copy = sc.remoteCopy()?.dir;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No space left on device");
    expect(splitRchLines(r.stderr).rch).toEqual([
      "rch: the build failed on w1 because its disk is full (No space left on device)",
    ]);
    // The worker is out of rotation: the next build runs here, saying why.
    const next = await sc.rch(["make"]);
    expectFellBack(next, /w1.*(disk|space)/i);
    expect(next.code).toBe(0);
    // Space again (the file removed on the worker): builds go there again.
    rmSync(join(copy!, "big.bin"), { force: true });
    const end = Date.now() + 60_000;
    let back = false;
    while (!back && Date.now() < end) {
      const o = await sc.rch(["make", "-B"]);
      expect(o.code).toBe(0);
      back = fallbackReason(o) === undefined;
      if (!back) await Bun.sleep(250);
    }
    expect(back).toBe(true);
  } finally {
    if (copy) rmSync(join(copy, "big.bin"), { force: true });
  }
});
