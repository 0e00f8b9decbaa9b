// Failing builds and exit-code fidelity: a compile error or failing test on the worker reaches
// the agent exactly as locally (same code, same diagnostics), and is NOT re-run locally (no
// fallback line, the run log shows one run, on a worker).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { expectRanRemotely, expectSameOutput, expectSameTree, Scenario, TREE, useFleet } from "./harness.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{}]);

/** rch first, then the reference run; `runs` is who ran it through rch (the run log's new lines;
 * a describe's tests share one scenario and so one run log). */
async function both(sc: Scenario, argv: string[]) {
  const before = sc.runlogLines().length;
  const rch = await sc.rch(argv);
  const runs = sc.runlogLines().slice(before);
  const local = await sc.local(argv);
  return { rch, local, runs };
}

const workerUser = () => bed.fleet.workers[0]!.user;
const workerUid = () => String(bed.fleet.workers[0]!.uid);

describe("cargo", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "cargo-ws", fleet: bed.fleet });
  });
  afterAll(() => sc?.dispose());

  test("compile error: exit 101, same diagnostics, not re-run locally", async () => {
    const { rch, local } = await both(sc, ["cargo", "build", "--features", "fxcore/broken"]);
    expect(local.code).toBe(101);
    expect(local.stderr).toContain("error[E0308]: mismatched types");
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["target/debug/.fingerprint"]);
  });

  test("failing test: exit 101, same report, ran once on the worker", async () => {
    const argv = [
      `FX_RUNLOG=${sc.runlog}`,
      "FX_FAIL=1",
      "cargo",
      "test",
      "-p",
      "fxcore",
      "--",
      "--test-threads=1",
    ];
    const { rch, local, runs } = await both(sc, argv);
    expect(local.code).toBe(101);
    expect(local.stdout).toContain("test tests::may_fail ... FAILED");
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch);
    expect(runs).toEqual([workerUid()]);
  });

  test("cargo run: the program's exit code 3 passes through", async () => {
    const { rch, local } = await both(sc, ["cargo", "run", "-q", "--bin", "fxapp", "--", "exit", "3"]);
    expect(local.code).toBe(3);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["target/debug/fxapp"]);
  });

  test("cargo run: a program killed by SIGTERM gives 143", async () => {
    const { rch, local } = await both(sc, ["cargo", "run", "-q", "--bin", "fxapp", "--", "signal"]);
    expect(local.code).toBe(143);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch);
  });
});

describe("make", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
  });
  afterAll(() => sc?.dispose());

  test("compile error: exit 2, same gcc diagnostics; objects made before the error come back", async () => {
    const { rch, local } = await both(sc, ["make", "BROKEN=1"]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("src/ops.c:23:31: error:");
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["src/main.o"]);
    expectSameTree(sc, TREE.make);
  });

  test("a recipe exiting 3: make exits 2, ran once on the worker", async () => {
    const { rch, local, runs } = await both(sc, ["make", "exit3", `RUNLOG=${sc.runlog}`]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("Error 3");
    expectSameOutput(sc, rch, local);
    expect(runs).toEqual([workerUser()]);
  });

  test("make killed by SIGTERM on the worker: 143, ran once", async () => {
    const { rch, local, runs } = await both(sc, ["make", "killmake", `RUNLOG=${sc.runlog}`]);
    expect(local.code).toBe(143);
    expectSameOutput(sc, rch, local);
    expect(runs).toEqual([workerUser()]);
  });
});

describe("bun", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "bun-tests",
      fleet: bed.fleet,
      setup: [["bun", "install", "--frozen-lockfile"]],
    });
  });
  afterAll(() => sc?.dispose());

  test("failing test: exit 1, same report (stack paths rewritten to local), ran once", async () => {
    const { rch, local, runs } = await both(sc, [`FX_RUNLOG=${sc.runlog}`, "FX_FAIL=1", "bun", "test"]);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(`${sc.localDir}/test/math.test.js:11:`);
    expectSameOutput(sc, rch, local, { sortBunFiles: true });
    expect(runs).toEqual([workerUid()]);
    expectSameTree(sc, TREE.bun);
  });
});
