// GC racing real builds: the copy a build is using (its session holds the copy's lock from before
// its sync until its artifacts are back) is never removed, however the two interleave. Each round
// starts a real `rch exec -- make -B` and, after a random delay, a real `rch workers gc` whose
// policy wants every copy gone (keep_recent_h = 0, a budget below one copy): the build must give
// exactly a local build's result, every time; and the GC must keep removing the copy whenever no
// build holds it (so the race is real, not a GC that never acts).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { expectSameOutput, Scenario } from "../exec-scenarios/harness.ts";
import { rchBinary } from "../exec-scenarios/rchbin.ts";

setDefaultTimeout(600_000);
const ROUNDS = Number(process.env.RCH_RACE_ROUNDS ?? 60);

let fleet: Fleet;
beforeAll(async () => {
  await rchBinary();
  fleet = await startFleet({ workers: [{ id: "w1", rootSize: "64m" }], toolchains: ["cc"] });
}, 240_000);
afterAll(async () => {
  await fleet?.stop();
});

test(`${ROUNDS} builds raced by GC: 0 wrong results, 0 removals of a copy in use`, async () => {
  const sc = await Scenario.create({ fixture: "make-c", fleet });
  writeFileSync(join(sc.cfgDir, "workers.toml"), fleet.workersToml({ min_free_gb: 0, max_disk_gb: 0.00001 }));
  writeFileSync(
    join(sc.cfgDir, "config.toml"),
    "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n" +
      // new_copy_reserve_gb = 0: the 64 MB disk could never admit a new copy's default 2 GB.
      "[gc]\nauto = false\nkeep_recent_h = 0\ngc_headroom_gb = 0\ncritical_free_gb = 0\nnew_copy_reserve_gb = 0\n",
  );
  const local = await sc.local(["make", "-B"]);
  const rch = await rchBinary();
  // How long a build takes here and now (a loaded machine is several times slower): the GC lands
  // anywhere from before the build's session to after its end.
  const t0 = performance.now();
  await sc.rch(["make", "-B"]);
  const buildMs = performance.now() - t0;
  let removed = 0;
  let keptInUse = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const build = sc.startRch(["make", "-B"]);
    await Bun.sleep(Math.floor(Math.random() * buildMs * 1.5)); // where the GC lands: random
    const gc = await sc.startRaw([rch, "--format", "json", "workers", "gc", "w1"]).done;
    const out = await (await build).done;
    expectSameOutput(sc, out, local, { fellBack: /running locally/.test(out.stderr) });
    expect(gc.code).toBe(0);
    const rows = (JSON.parse(gc.stdout) as { workers: { copies: { action: string; why: string }[] }[] })
      .workers[0]!.copies;
    removed += rows.filter((r) => r.action === "remove").length;
    keptInUse += rows.filter((r) => r.why === "in-use").length;
  }
  // Both outcomes happened: the GC removed idle copies and left alone the ones in use.
  expect(removed).toBeGreaterThan(0);
  expect(keptInUse).toBeGreaterThan(0);
});
