// The worker's side coordinates builds, not the daemon: a build's session holds its copy's lock
// (exclusive for in-tree builds) and a slot from before its sync until its artifacts are back, so
// no daemon event — a restart, a SIGKILL, a second workstation — lets one build sync over or
// collect from a copy another build is using, and no worker runs more builds than its slots.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  expectRanRemotely,
  expectSameOutput,
  expectSameTree,
  Scenario,
  TREE,
  useFleet,
  waitRemoteFile,
} from "./harness.ts";
import { signalPid } from "./proc.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(180_000);
const bed = useFleet([{ id: "w1", totalSlots: 2 }]);

async function daemonPid(sc: Scenario): Promise<number> {
  return Number(readFileSync(join(sc.env.RCH_CACHE_DIR!, "rch.sock.pid"), "utf8"));
}

/** Polls `rch status --jobs` until some job is in `state` (the daemon's view). */
async function waitForJobState(sc: Scenario, state: string, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  const rch = await rchBinary();
  while (Date.now() < end) {
    const r = await sc.startRaw([rch, "status", "--jobs", "--format", "json"]).done;
    if (r.code === 0 && new RegExp(`"state":\\s*"${state}"`).test(r.stdout)) return true;
    await Bun.sleep(50);
  }
  return false;
}

describe("a copy in use is never synced over", () => {
  test("rch daemon restart between two builds of one project: each gets the local result", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const slowArgv = ["make", "slowlink", "SLEEP=3"];
    const first = await sc.startRch(slowArgv);
    expect(await waitRemoteFile(sc, "started.flag", 60_000)).toBe(true); // objects built, not linked
    const restart = await sc.startRaw([await rchBinary(), "daemon", "restart"]).done;
    expect(restart.code).toBe(0);
    // The new daemon knows nothing of the first build; with rch's sync state gone too, the
    // second build must rsync the whole tree (with --delete) — which would remove the objects
    // the first is about to link, were the copy not locked.
    rmSync(join(sc.env.RCH_CACHE_DIR!, "sync"), { recursive: true, force: true });
    const second = await sc.rch(["make", "check"]);
    const firstDone = await first.done;
    const localFirst = await sc.local(slowArgv);
    const localSecond = await sc.local(["make", "check"]);
    expectSameOutput(sc, firstDone, localFirst);
    expectSameOutput(sc, second, localSecond);
    expectRanRemotely(sc, second, ["calc", "out.txt"]);
    expectSameTree(sc, TREE.make);
  });

  test("rchd SIGKILLed while a build waits for the copy: that build waits on the worker instead", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const slowArgv = ["make", "slowlink", "SLEEP=3"];
    const first = await sc.startRch(slowArgv);
    expect(await waitRemoteFile(sc, "started.flag", 60_000)).toBe(true);
    const second = await sc.startRch(["make", "check"]);
    const pid = await daemonPid(sc);
    expect(await waitForJobState(sc, "waiting", 30_000)).toBe(true); // for the copy, in the daemon
    signalPid(pid, "SIGKILL");
    const [firstDone, secondDone] = await Promise.all([first.done, second.done]);
    expectSameOutput(sc, firstDone, await sc.local(slowArgv));
    expectSameOutput(sc, secondDone, await sc.local(["make", "check"]), {
      fellBack: /running locally/.test(secondDone.stderr),
    });
    expectSameTree(sc, TREE.make);
  });
});

describe("workstations sharing a worker", () => {
  /** A second installation (its own config, cache, state — so its own client id and daemon)
   * building the same project directory. */
  function otherWorkstation(sc: Scenario, name: string): Record<string, string> {
    const dir = join(sc.root, name);
    for (const d of ["cfg", "cache", "state"]) mkdirSync(join(dir, d), { recursive: true });
    cpSync(sc.cfgDir, join(dir, "cfg"), { recursive: true });
    return {
      ...sc.env,
      RCH_CONFIG_DIR: join(dir, "cfg"),
      RCH_CACHE_DIR: join(dir, "cache"),
      RCH_STATE_DIR: join(dir, "state"),
      RCH_SSH_CONFIG: join(dir, "cfg", "ssh_config"),
    };
  }

  test("the same project path on two workstations: two copies on the worker", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const a = await sc.rch(["make"]);
    expectRanRemotely(sc, a, ["calc"]);
    const b = await sc.rch(["make", "-B"], { env: otherWorkstation(sc, "ws-b") });
    expect(b.code).toBe(0);
    expect(b.stderr).toBe("");
    const root = bed.fleet.worker("w1").remoteRoot;
    const copies = readdirSync(root).filter((d) => {
      try {
        return readdirSync(join(root, d)).includes(sc.token);
      } catch {
        return false;
      }
    });
    expect(copies).toHaveLength(2);
  });

  test("a SIGKILLed rch exec frees its slot: its session ends with it", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const running = await sc.startRch(["make", "slow", "SLEEP=60"]);
    expect(await waitRemoteFile(sc, "started.flag", 60_000)).toBe(true);
    const w = bed.fleet.worker("w1");
    const slots = join(w.remoteRoot, ".rch", "slots");
    const held = () =>
      readdirSync(slots)
        .filter((f) => /^\d+$/.test(f))
        .filter((f) => Bun.spawnSync(["flock", "-n", join(slots, f), "true"]).exitCode !== 0).length;
    expect(held()).toBe(1);
    signalPid(running.pid, "SIGKILL");
    const end = Date.now() + 20_000;
    while (held() > 0 && Date.now() < end) await Bun.sleep(50);
    expect(held()).toBe(0);
    await running.done;
  });
  // Three workstations × four builds on a two-slot worker: sharing.test.ts (S1).
});
