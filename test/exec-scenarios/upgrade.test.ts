// rch upgraded under a running daemon: the first build of the new rch has the old rchd retire
// (it hands over socket and lock at once and finishes serving the builds already connected to
// it) and starts a daemon of its own build — instead of being served by the old code for days.
// "The old rch" is a real compiled binary, built from these sources with an earlier build stamp.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { expectRanRemotely, expectSameOutput, Scenario, useFleet, waitRemoteFile } from "./harness.ts";
import { run } from "./proc.ts";
import { REPO, rchBinary } from "./rchbin.ts";

setDefaultTimeout(120_000);
const bed = useFleet([{ id: "w1" }, { id: "w2" }]);

let oldRch: string;
let newRch: string;
beforeAll(async () => {
  newRch = await rchBinary();
  oldRch = join(mkdtempSync("/tmp/rch-old-"), "rch");
  const env = {
    PATH: `${join(REPO, "node_modules", ".bin")}:/usr/local/bin:/usr/bin:/bin`,
    HOME: "/root",
    RCH_BUILD_OUT: oldRch,
    RCH_BUILT_AT: "1000", // long before any real build
  };
  const r = await run(["bash", "scripts/build.sh"], { cwd: REPO, env, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`building the old rch failed:\n${r.stderr}`);
}, 240_000);
// The old binary is ~110 MB: never leave it behind.
afterAll(() => {
  if (oldRch) rmSync(dirname(oldRch), { recursive: true, force: true });
});

interface DaemonStatus {
  running: boolean;
  version?: string;
  pid?: number;
}

async function daemonStatus(sc: Scenario): Promise<DaemonStatus> {
  const r = await sc.startRaw([newRch, "daemon", "status", "--format", "json"]).done;
  return JSON.parse(r.stdout) as DaemonStatus;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (alive(pid) && Date.now() < end) await Bun.sleep(25);
  return !alive(pid);
}

describe("an upgraded rch replaces an older daemon", () => {
  test("idle old daemon: the first new build retires it and runs on a daemon of its own build", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    expect((await sc.startRaw([oldRch, "daemon", "start"]).done).code).toBe(0);
    const before = await daemonStatus(sc);
    expect(before.version).toMatch(/\.1000$/);
    const version = (await sc.startRaw([newRch, "--version"]).done).stdout.trim();

    const rch = await sc.rch(["make"]);
    expectSameOutput(sc, rch, await sc.local(["make"]));
    expectRanRemotely(sc, rch, ["calc"]);
    const after = await daemonStatus(sc);
    expect(after.version).toBe(version);
    expect(after.pid).not.toBe(before.pid);
    expect(await waitGone(before.pid!, 10_000)).toBe(true);
  });

  test("a build running under the old daemon finishes with it; the old daemon exits after it", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    expect((await sc.startRaw([oldRch, "daemon", "start"]).done).code).toBe(0);
    const old = await daemonStatus(sc);
    // An agent still running the old binary starts a long build under the old daemon…
    const slowArgv = ["make", "slow", "SLEEP=3"];
    const slow = sc.startRaw([oldRch, "exec", "--", ...slowArgv]);
    expect(await waitRemoteFile(sc, "started.flag", 30_000)).toBe(true);
    // …and one using the new binary builds another project meanwhile (same rch config and state).
    const other = join(sc.root, "other", "make-c");
    cpSync(join(REPO, "test", "fixtures", "make-c"), other, { recursive: true });
    const fresh = await sc.startRaw([newRch, "exec", "--", "make"], { cwd: "../../other/make-c" }).done;
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toBe("");
    const now = await daemonStatus(sc);
    expect(now.pid).not.toBe(old.pid);
    expect(alive(old.pid!)).toBe(true); // still serving the slow build's connection

    const slowDone = await slow.done;
    expectSameOutput(sc, slowDone, await sc.local(slowArgv));
    expect(await waitGone(old.pid!, 10_000)).toBe(true);
    expect((await daemonStatus(sc)).pid).toBe(now.pid);
  });
});
