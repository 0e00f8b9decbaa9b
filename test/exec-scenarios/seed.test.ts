// After a local cargo build of a change, the next rch build on a worker that has the copy does
// no work: the profile dir the local build changed goes up first (src/exec/seed.ts), under
// cargo's lock at both ends. When it cannot go up (a cargo holds the lock here, or on the worker
// beyond the wait), the build is still right: the worker compiles again what the local build
// compiled, as it did before rch sent anything up. In mapped mode nothing is sent (the target
// dir names the local path there), which these tests check too when the bed runs builds mapped.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectNoWork, sameWorkerPath, units } from "./cargoUnits.ts";
import { Scenario, useFleet } from "./harness.ts";
import { type Outcome, processes, start } from "./proc.ts";
import { cargoVendored, utilLib } from "./projects.ts";

// Real cargo builds on a shared, possibly loaded machine: generous, explicit budgets.
setDefaultTimeout(300_000);
const BUILD_MS = 240_000;
const bed = useFleet([{}]);

const SEED_SENT = /^rch: \[\d+ ms\] seed: target\/debug changed here, sent to w1 in \d+ ms$/m;

/** A change to util that cargo must compile (its source's mtime moves). */
let edits = 0;
function editUtil(sc: Scenario): void {
  edits++;
  writeFileSync(join(sc.rchDir, "util", "src", "lib.rs"), `${utilLib(false)}pub fn edit${edits}() {}\n`);
}

const utilStates = (o: Outcome) =>
  units(o)
    .filter((u) => u.name === "util")
    .map((u) => u.state);

async function localBuildCompilesUtil(sc: Scenario): Promise<void> {
  const local = await sc.local(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }, sc.rchDir);
  expect(local.code).toBe(0);
  expect(utilStates(local)).toContain("Compiling");
}

/** Polls `cond` until true or the build budget is spent; says which. */
async function until(cond: () => boolean): Promise<boolean> {
  const end = Date.now() + BUILD_MS;
  while (!cond()) {
    if (Date.now() > end) return false;
    await Bun.sleep(20);
  }
  return true;
}

const rchVerbose = (sc: Scenario): Promise<Outcome> =>
  sc.rch(["cargo", "build", "-v"], { timeoutMs: BUILD_MS, env: { RCH_VERBOSE: "1" } });

/** Holds `lock` with flock(1) until released; resolves once it is held. */
async function holdLock(lock: string): Promise<{ pgid: number; release(): Promise<void> }> {
  const holder = start(["flock", lock, "sleep", "600"], { cwd: "/", env: { PATH: "/usr/bin:/bin" } });
  const end = Date.now() + 30_000;
  while (Bun.spawnSync(["flock", "-n", lock, "true"]).exitCode === 0) {
    if (Date.now() > end) throw new Error(`flock never held ${lock}`);
    await Bun.sleep(20);
  }
  return {
    pgid: holder.pid,
    async release() {
      process.kill(-holder.pid, "SIGKILL");
      await holder.done;
    },
  };
}

describe("cargo: a local build's target dir goes up before the next rch build", () => {
  let sc: Scenario;
  let samePath = false;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "generated",
      populate: cargoVendored,
      fleet: bed.fleet,
      git: true,
    });
    // A short wait for a worker's cargo lock (daemon.slot_wait_ms bounds it), for the last test.
    appendFileSync(join(sc.cfgDir, "config.toml"), "[daemon]\nslot_wait_ms = 1000\n");
    samePath = await sameWorkerPath(sc);
    expect((await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS })).code).toBe(0);
  }, BUILD_MS);
  afterAll(() => sc?.dispose());

  test("after a local build of a change, the rch build compiles nothing, and a local build after it neither", async () => {
    editUtil(sc);
    await localBuildCompilesUtil(sc);
    const rch = await rchVerbose(sc);
    if (samePath) {
      expect(rch.stderr).toMatch(SEED_SENT);
      expectNoWork(rch, true);
    } else {
      expect(rch.code).toBe(0);
      expect(rch.stderr).not.toContain("seed:");
    }
    expectNoWork(await sc.local(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }, sc.rchDir), samePath);
    // Nothing changed here since: nothing goes up again.
    const again = await rchVerbose(sc);
    expect(again.stderr).not.toContain("seed:");
    expectNoWork(again, true);
  });

  test("a cargo building here holds the lock: nothing goes up, the worker compiles the change, and the pull waits for that cargo", async () => {
    editUtil(sc);
    await localBuildCompilesUtil(sc);
    const app = join(sc.rchDir, "target", "debug", "app");
    const before = readFileSync(app);
    const lockPath = join(sc.rchDir, "target", "debug", ".cargo-lock");
    const lock = await holdLock(lockPath);
    const running = await sc.startRch(["cargo", "build", "-v"], {
      timeoutMs: BUILD_MS,
      env: { RCH_VERBOSE: "1" },
    });
    let pullWaited = false;
    try {
      // The build ran on the worker; bringing its target dir back waits for the lock held here,
      // in a flock(1) of rch's own (transfer/cargoLock.ts).
      pullWaited = await until(
        () =>
          processes((p) => p.comm === "flock" && p.cmdline.includes(lockPath) && p.pgid !== lock.pgid)
            .length > 0,
      );
      // Nothing was written into the locked dir meanwhile.
      expect(readFileSync(app).equals(before)).toBe(true);
    } finally {
      await lock.release();
    }
    const rch = await running.done;
    expect(pullWaited).toBe(true);
    expect(rch.code).toBe(0);
    if (samePath)
      expect(rch.stderr).toContain(
        "seed: target/debug changed here, not sent (a cargo here is building in it)",
      );
    expect(utilStates(rch)).toContain("Compiling");
    // The build's own result came back: here, nothing is left to do.
    expectNoWork(await sc.local(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }, sc.rchDir), samePath);
  });

  test("a cargo on the worker holds the lock beyond the wait: nothing goes up, and the build waits for it as cargo would", async () => {
    const copy = sc.remoteCopy();
    expect(copy).toBeDefined();
    editUtil(sc);
    await localBuildCompilesUtil(sc);
    const lock = await holdLock(join(copy!.dir, "target", "debug", ".cargo-lock"));
    const w = bed.fleet.worker("w1");
    const uid = Number(Bun.spawnSync(["id", "-u", w.user]).stdout.toString().trim());
    const running = await sc.startRch(["cargo", "build", "-v"], {
      timeoutMs: BUILD_MS,
      env: { RCH_VERBOSE: "1" },
    });
    try {
      // The worker's cargo runs only after the seed step gave up: then the lock goes.
      await until(() => processes((p) => p.uid === uid && p.comm === "cargo").length > 0);
    } finally {
      await lock.release();
    }
    const rch = await running.done;
    expect(rch.code).toBe(0);
    if (samePath)
      expect(rch.stderr).toContain(
        "seed: target/debug changed here, not sent (a cargo build on the worker held its lock for 1 s)",
      );
    expect(utilStates(rch)).toContain("Compiling");
    expect(readFileSync(join(sc.rchDir, "util", "src", "lib.rs"), "utf8")).toContain(`edit${edits}`);
    expectNoWork(await sc.local(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }, sc.rchDir), samePath);
  });
});
