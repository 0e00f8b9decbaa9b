// Fail-open: whenever rch cannot (or must not) run the build on a worker, the agent still gets
// the local result: same exit code, output and files, plus one `rch: running locally: <why>`
// line on stderr (README, "Running builds remotely"). Also: rch switched off runs locally and never touches a worker.
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  expectFellBack,
  expectRanRemotely,
  expectSameOutput,
  expectSameTree,
  Scenario,
  TREE,
  useFleet,
  waitRemoteFile,
} from "./harness.ts";
import { splitRchLines } from "./normalize.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{ id: "w1" }, { id: "w2" }, { id: "bare", toolchains: false }]);

// Scenarios are removed with the fleet (useFleet → disposeAll).
const scenario = Scenario.create;

describe("worker failures", () => {
  test("worker down before the build: local result, one line saying why, no hang", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet, workers: ["w2"] });
    await bed.fleet.stopWorker("w2");
    try {
      const rch = await sc.rch(["make"]);
      const local = await sc.local(["make"]);
      expectFellBack(rch);
      expect(rch.ms).toBeLessThan(30_000); // no hang (1–3 s here): the command deadline is 90 s
      expectSameOutput(sc, rch, local, { fellBack: true });
      expectSameTree(sc, TREE.make);
    } finally {
      await bed.fleet.startWorker("w2");
    }
  });

  test("worker killed mid-build (sshd stopped): the build re-runs locally and succeeds", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet, workers: ["w2"] });
    // The remote build waits at the gate until its worker is gone, however slow this machine is;
    // the local re-run (and the reference run) find the gate open.
    const gate = join(sc.shm, "gate");
    const argv = ["make", "slow", "SLEEP=60", `GATE=${gate}`, `RUNLOG=${sc.runlog}`];
    const running = await sc.startRch(argv);
    try {
      expect(await waitRemoteFile(sc, "started.flag", 20_000)).toBe(true);
      await bed.fleet.stopWorker("w2");
      writeFileSync(gate, "");
      const rch = await running.done;
      const local = await sc.local(argv);
      expectFellBack(rch);
      // Started on the worker, finished locally: the recipe ran twice, worker first.
      expect(sc.runlogLines()).toEqual([bed.fleet.worker("w2").user, "root", "root"]);
      expect(rch.code).toBe(local.code);
      // What the worker printed before dying was already streamed; the local run follows whole.
      expect(rch.stdout.endsWith(local.stdout)).toBe(true);
      expect(splitRchLines(rch.stderr).rest.endsWith(local.stderr)).toBe(true);
      expectSameTree(sc, TREE.make);
    } finally {
      writeFileSync(gate, ""); // a failed test leaves nothing waiting
      await bed.fleet.startWorker("w2");
    }
  });

  test("changed host key: falls back with a clear reason, no hang, local result", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet, workers: ["w1"] });
    const first = await sc.rch(["make"]);
    expectRanRemotely(sc, first, ["calc"]);
    await sc.local(["make"]);
    await bed.fleet.startWorker("w1", { newHostKey: true }); // known_hosts still has the old key
    try {
      const rch = await sc.rch(["make", "-B"]);
      const local = await sc.local(["make", "-B"]);
      expectFellBack(rch, /host key/i);
      expect(rch.ms).toBeLessThan(30_000); // no hang (1–3 s here): the command deadline is 90 s
      expectSameOutput(sc, rch, local, { fellBack: true });
      expectSameTree(sc, TREE.make);
    } finally {
      bed.fleet.writeClientFiles(); // trust the new key again for the tests that follow
    }
  });

  test("worker without the toolchain (forced with RCH_WORKER): cargo falls back, names the tool", async () => {
    const sc = await scenario({ fixture: "cargo-ws", fleet: bed.fleet, env: { RCH_WORKER: "bare" } });
    const rch = await sc.rch(["cargo", "build"]);
    const local = await sc.local(["cargo", "build"]);
    // The toolchain match names what the worker lacks: "no worker has rustc 1.95.0 (…); bare has no rustc".
    expectFellBack(rch, /cargo.*(not installed|missing|not found)|toolchain|bare has no rustc/i);
    expectSameOutput(sc, rch, local, { fellBack: true });
    expectSameTree(sc, TREE.cargo);
  });

  test("worker without the toolchain: bun test falls back, names the tool", async () => {
    const sc = await scenario({
      fixture: "bun-tests",
      fleet: bed.fleet,
      env: { RCH_WORKER: "bare" },
      setup: [["bun", "install", "--frozen-lockfile"]],
    });
    const rch = await sc.rch(["bun", "test"]);
    const local = await sc.local(["bun", "test"]);
    expectFellBack(rch, /bun.*(not installed|missing|not found)|toolchain|bare has no bun/i);
    expectSameOutput(sc, rch, local, { fellBack: true, sortBunFiles: true });
  });
});

describe("rch off or not configured: the local result, no worker touched", () => {
  /** At most the one fallback line; otherwise exactly the local run. */
  function expectLocalResult(sc: Scenario, rch: Awaited<ReturnType<Scenario["rch"]>>, local: typeof rch) {
    const lines = splitRchLines(rch.stderr).rch;
    if (lines.length > 0) expectFellBack(rch);
    expectSameOutput(sc, rch, local, { fellBack: lines.length > 0 });
    expectSameTree(sc, TREE.make);
    expect(sc.remoteCopy()).toBeUndefined();
  }

  test("no workers configured", async () => {
    const sc = await scenario({ fixture: "make-c" });
    const rch = await sc.rch(["make"]);
    expectLocalResult(sc, rch, await sc.local(["make"]));
  });

  test("RCH_LOCAL_ONLY=1", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet, env: { RCH_LOCAL_ONLY: "1" } });
    const rch = await sc.rch(["make"]);
    expectLocalResult(sc, rch, await sc.local(["make"]));
  });

  test("RCH_DRY_RUN=1: prints a plan on stderr, stdout and result are the local ones", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet, env: { RCH_DRY_RUN: "1" } });
    const rch = await sc.rch(["make"]);
    const local = await sc.local(["make"]);
    expect(rch.code).toBe(local.code);
    expect(rch.stdout.replaceAll(sc.rchDir, "<ROOT>")).toBe(local.stdout.replaceAll(sc.localDir, "<ROOT>"));
    // The plan: something beyond the build's own (empty) stderr that names the worker it would use.
    expect(local.stderr).toBe("");
    expect(rch.stderr).toMatch(/w1|w2|bare|127\.0\.0\.1/);
    expectSameTree(sc, TREE.make);
    expect(sc.remoteCopy()).toBeUndefined();
  });
});

describe("fleet health after the failures above", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await scenario({ fixture: "make-c", fleet: bed.fleet, workers: ["w1", "w2"] });
  });

  test("restarted workers serve builds again", async () => {
    const rch = await sc.rch(["make"]);
    const local = await sc.local(["make"]);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["calc"]);
  });
});
