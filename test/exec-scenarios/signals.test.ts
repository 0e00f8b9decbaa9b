// Cancelling `rch exec` mid-build (Ctrl-C, SIGTERM, `timeout`, the agent's tool timeout, even
// SIGKILL) ends the build on the worker too: rch exits promptly with 128+N (124 for timeout),
// does not re-run the build locally, and no process of the build outlives it on the worker.
// (ssh without a tty does not propagate this by itself.)
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import {
  expectNoWorkerLeftovers,
  fallbackReason,
  Scenario,
  useFleet,
  waitRemoteFile,
  workerLeftovers,
} from "./harness.ts";
import {
  describeProcs,
  killGroup,
  processes,
  type Running,
  signalPid,
  waitEmpty,
  waitFor,
  within,
} from "./proc.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{}]);

let current: { sc: Scenario; running?: Running } | undefined;

afterEach(async () => {
  // Whatever a failed test left: the local process group we started, then the scenario.
  if (current?.running) killGroup(current.running.pid, "SIGKILL");
  if (current?.running) await within(current.running.done, 5000);
  current?.sc.dispose();
  current = undefined;
  // A leftover from one test must not be blamed on the next.
  await waitEmpty(() => workerLeftovers(bed.fleet), 10_000);
});

async function scenario(): Promise<Scenario> {
  const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
  current = { sc };
  return sc;
}

/** Starts argv (default: rch exec -- make <target>), and waits until the build runs on the worker. */
async function startRemoteSleep(
  sc: Scenario,
  target: string,
  raw?: (rch: string) => string[],
): Promise<Running> {
  const argv = ["make", target, "SLEEP=30", `RUNLOG=${sc.runlog}`];
  const running = raw ? sc.startRaw([...raw(await rchBinary()), ...argv]) : await sc.startRch(argv);
  current!.running = running;
  if (!(await waitRemoteFile(sc, "started.flag", 20_000))) {
    killGroup(running.pid, "SIGKILL");
    const o = await running.done;
    throw new Error(`the build never started on the worker; rch exited ${o.code}, stderr:\n${o.stderr}`);
  }
  return running;
}

/** Processes still in rch's process group (its ssh children…) once rch itself is gone. */
const groupLeftovers = (pgid: number) => processes((p) => p.pgid === pgid);

/**
 * The bounds are "no hang" bounds, far below what not reacting would cost (the build sleeps 30 s,
 * `stubborn` twice that) and far above what reacting takes (0.1–0.5 s here; a build that ignores
 * SIGTERM is KILLed after rch's 2 s grace): a slow machine passes, a rch that waits for the build
 * does not.
 */
async function expectCancelled(sc: Scenario, running: Running, code: number, withinMs: number) {
  const t0 = performance.now();
  const exit = await within(running.exited, withinMs);
  expect(exit, `rch still running ${withinMs} ms after the signal`).toBeDefined();
  // Its output must end with it: a child that keeps stdout open would hang the agent's tool.
  const o = await within(running.done, 10_000);
  expect(o, "rch's stdout/stderr still open 10 s after it exited").toBeDefined();
  expect({ code: o!.code, fallback: fallbackReason(o!) }).toEqual({ code, fallback: undefined });
  expect(o!.stdout).toContain("started");
  // Cancelled, not re-run: the recipe ran once, on the worker.
  expect(sc.runlogLines()).toEqual([bed.fleet.workers[0]!.user]);
  await expectNoWorkerLeftovers(bed.fleet, 15_000);
  expect(describeProcs(await waitEmpty(() => groupLeftovers(running.pid), 10_000))).toEqual([]);
  expect(performance.now() - t0).toBeLessThan(25_000); // still well before the 30 s sleep ends
}

test("SIGTERM to rch exec: exits 143 promptly, the remote build is gone", async () => {
  const sc = await scenario();
  const running = await startRemoteSleep(sc, "slow");
  signalPid(running.pid, "SIGTERM");
  await expectCancelled(sc, running, 143, 10_000);
});

test("Ctrl-C (SIGINT to the whole process group): exits 130, nothing re-run or left", async () => {
  const sc = await scenario();
  const running = await startRemoteSleep(sc, "slow");
  killGroup(running.pid, "SIGINT"); // what a terminal does: rch and its ssh children all get it
  await expectCancelled(sc, running, 130, 10_000);
});

test("timeout 2 rch exec -- …: 124, the remote build is gone", async () => {
  const sc = await scenario();
  const running = await startRemoteSleep(sc, "slow", (rch) => ["timeout", "2", rch, "exec", "--"]);
  await expectCancelled(sc, running, 124, 15_000);
});

test("a build that ignores SIGTERM is still ended on the worker", async () => {
  const sc = await scenario();
  const running = await startRemoteSleep(sc, "stubborn");
  signalPid(running.pid, "SIGTERM");
  await expectCancelled(sc, running, 143, 15_000);
});

test("SIGKILL of rch exec: the remote build is killed within seconds (watchdog)", async () => {
  const sc = await scenario();
  const running = await startRemoteSleep(sc, "slow");
  // started.flag is touched just before the recipe's sleep starts: wait for the sleep itself.
  expect(await waitFor(() => workerLeftovers(bed.fleet).some((p) => p.comm === "sleep"), 20_000)).toBe(true);
  signalPid(running.pid, "SIGKILL");
  expect((await running.exited).signal).toBe("SIGKILL");
  // The watchdog notices its lifeline close, TERMs, and KILLs 2 s later; the sleep would last 30 s.
  await expectNoWorkerLeftovers(bed.fleet, 20_000);
  expect(sc.runlogLines()).toEqual([bed.fleet.workers[0]!.user]);
});
