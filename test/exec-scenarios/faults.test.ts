// Faults on the I/O edges of `rch exec` (ssh's stdin, tar, rsync, the daemon socket): each ends
// like any other fault before the start — the local result with the right exit code, one
// `rch: running locally: <cause>` line, no crash banner, no hang — or, where rch has another way,
// a correct remote result. Each fault is injected on the real bed.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../../src/config/schema.ts";
import type { SshTarget } from "../../src/ssh/options.ts";
import { pushArgv, runRsync } from "../../src/transfer/rsync.ts";
import { buildRules } from "../../src/transfer/rules.ts";
import { workerConfig } from "../bed/client.ts";
import {
  expectFellBack,
  expectRanRemotely,
  expectSameOutput,
  expectSameTree,
  Scenario,
  TREE,
  useFleet,
} from "./harness.ts";
import { processes, signalPid } from "./proc.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(120_000);
const bed = useFleet([{ id: "w1" }]);

/** ~300 KB of new files: an inline sync (a tar on the build's own ssh stdin) larger than a pipe. */
function addData(dir: string): void {
  mkdirSync(join(dir, "data"), { recursive: true });
  for (let i = 0; i < 30; i++) {
    const line = `${i} ${"abcdefghijklmnopqrstuvwxyz".repeat(4)}\n`;
    writeFileSync(join(dir, "data", `blob${i}.txt`), line.repeat(Math.ceil(10_240 / line.length)));
  }
}

/** No crash banner or stack: Bun's uncaught-error output names the error class or "error:". */
function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/EPIPE|panic|Unhandled|uncaught|^\s+at /im);
}

/** A scenario whose copy on w1 is current, then ~300 KB of new data in both copies, and no
 * ssh master left: the next build sends its changes inline, over a fresh connection. Its rchd
 * stays: it knows w1 (toolchains probed), so the next build is sent there and meets the fault
 * itself — a fresh rchd would find w1 unreachable by its first heartbeat and say so instead. */
async function primed(): Promise<Scenario> {
  const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
  expectRanRemotely(sc, await sc.rch(["make"]), ["calc"]);
  await sc.local(["make"]);
  addData(sc.rchDir);
  addData(sc.localDir);
  // The ssh masters: their command lines name their ControlPath, in rch's cache dir.
  const cache = join(sc.root, "cache");
  for (const p of processes((p) => p.comm === "ssh" && p.cmdline.includes(cache)))
    signalPid(p.pid, "SIGKILL");
  return sc;
}

describe("ssh dies while rch writes the sync to it", () => {
  test("worker's sshd stopped (SIGSTOP), no master: local result, one line naming ssh's error", async () => {
    const sc = await primed();
    const w = bed.fleet.worker("w1");
    process.kill(w.sshdPid, "SIGSTOP");
    try {
      const rch = await sc.rch(["make", "-B"]);
      const local = await sc.local(["make", "-B"]);
      expectNoCrash(rch.stderr);
      expectFellBack(rch, /ssh to w1 failed: .*(timed out|banner)/i);
      expectSameOutput(sc, rch, local, { fellBack: true });
      expectSameTree(sc, TREE.make);
    } finally {
      process.kill(w.sshdPid, "SIGCONT");
    }
  });

  test("worker's port closed (sshd gone), no master: local result, one line naming ssh's error", async () => {
    const sc = await primed();
    await bed.fleet.stopWorker("w1");
    try {
      const rch = await sc.rch(["make", "-B"]);
      const local = await sc.local(["make", "-B"]);
      expectNoCrash(rch.stderr);
      expectFellBack(rch, /ssh to w1 failed: .*connection refused/i);
      expectSameOutput(sc, rch, local, { fellBack: true });
      expectSameTree(sc, TREE.make);
    } finally {
      await bed.fleet.startWorker("w1");
    }
  });

  test("a failing build keeps its exit code when the sync to the worker breaks", async () => {
    const sc = await primed();
    await bed.fleet.stopWorker("w1");
    try {
      const rch = await sc.rch(["make", "no-such-target"]);
      const local = await sc.local(["make", "no-such-target"]);
      expect(local.code).toBe(2);
      expectNoCrash(rch.stderr);
      expectFellBack(rch, /ssh to w1 failed/i);
      expectSameOutput(sc, rch, local, { fellBack: true });
    } finally {
      await bed.fleet.startWorker("w1");
    }
  });
});

/** A directory put first on PATH holding `name`, a script that fails without reading its input. */
function failingTool(sc: Scenario, name: string, body: string): Record<string, string> {
  const dir = join(sc.root, "fakebin");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return { PATH: `${dir}:${sc.env.PATH}` };
}

describe("local helpers that fail", () => {
  test("tar dies without reading its file list: the change goes by rsync instead, the build runs remotely", async () => {
    const sc = await primed();
    const env = failingTool(sc, "tar", "exit 2");
    const rch = await sc.rch(["make", "-B"], { env });
    const local = await sc.local(["make", "-B"]);
    expectNoCrash(rch.stderr);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["calc", "data/blob29.txt"]);
  });

  test("rsync fails: local result, and the line shows rsync's own first error", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const env = failingTool(
      sc,
      "rsync",
      'echo "rsync: [sender] change_dir \\"/nowhere\\" failed: No such file or directory (2)" >&2\n' +
        'echo "rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]" >&2\nexit 23',
    );
    const rch = await sc.rch(["make"], { env });
    const local = await sc.local(["make"]);
    expectNoCrash(rch.stderr);
    expectFellBack(rch, /sync to w1 failed: rsync: \[sender\] change_dir .* No such file or directory/);
    expectSameOutput(sc, rch, local, { fellBack: true });
    expectSameTree(sc, TREE.make);
  });
});

describe("configuration that cannot be read", () => {
  test("config.toml is a FIFO: rch exec runs the build here at once, one line says why", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const cfg = join(sc.cfgDir, "config.toml");
    rmSync(cfg);
    expect(Bun.spawnSync(["mkfifo", cfg]).exitCode).toBe(0);
    const rch = await sc.rch(["make"]);
    const local = await sc.local(["make"]);
    expectFellBack(rch, /config\.toml cannot be read: not a regular file \(a FIFO\)/);
    expectSameOutput(sc, rch, local, { fellBack: true });
    expectSameTree(sc, TREE.make);
    expect(sc.remoteCopy()).toBeUndefined();
  });
});

describe("a daemon that does not answer", () => {
  test("rchd stopped (SIGSTOP): the build runs here after one hello timeout, and asks it nothing more", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    appendFileSync(join(sc.cfgDir, "config.toml"), '[general]\nlog_level = "debug"\n');
    expectRanRemotely(sc, await sc.rch(["make"]), ["calc"]); // starts rchd
    await sc.local(["make"]);
    const pid = Number(readFileSync(join(sc.env.RCH_CACHE_DIR!, "rch.sock.pid"), "utf8"));
    process.kill(pid, "SIGSTOP");
    let rch: Awaited<ReturnType<Scenario["rch"]>>;
    try {
      rch = await sc.rch(["make", "-B"]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const local = await sc.local(["make", "-B"]);
    expectFellBack(rch, /daemon unreachable: hello: no reply within \d+ ms/);
    expectSameOutput(sc, rch, local, { fellBack: true });
    expectSameTree(sc, TREE.make);
    // Once resumed, rchd reads what queued up meanwhile: one connection from that rch — the
    // timing lookup, the selection and the timing record did not each wait for it again.
    const hellos = () =>
      readFileSync(join(sc.env.RCH_STATE_DIR!, "rchd.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes(`hello from rch pid ${rch.pid} `));
    const status = await sc.startRaw([await rchBinary(), "daemon", "status"]).done;
    expect(status.code).toBe(0); // answered: the queue before it has been read
    expect(hellos()).toHaveLength(1);
  });
});

describe("fallback lines name the real cause", () => {
  test("a changed host key: the line says so, not ssh's banner", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    await bed.fleet.startWorker("w1", { newHostKey: true }); // known_hosts still has the old key
    try {
      const rch = await sc.rch(["make"]);
      const local = await sc.local(["make"]);
      // Said by rch exec's own ssh, or by rchd's first heartbeat when that came first.
      expectFellBack(
        rch,
        /^((ssh|sync) to w1 failed: |no eligible worker \(w1 is unreachable \(its heartbeat failed: )worker host key changed\)*$/,
      );
      expectSameOutput(sc, rch, local, { fellBack: true });
    } finally {
      bed.fleet.writeClientFiles();
    }
  });

  test("rsync itself meeting a changed host key (no master up): its reason is the host key", async () => {
    // rch never rsyncs before its build's session holds the copy (whose connection then carries
    // the rsync), so this drives rch's rsync step directly, against the real worker.
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const w = bed.fleet.worker("w1");
    await bed.fleet.startWorker("w1", { newHostKey: true });
    try {
      const worker = workerConfig(w);
      const target: SshTarget = {
        worker,
        settings: defaultConfig().ssh,
        configFile: sc.env.RCH_SSH_CONFIG!,
        controlDir: join(sc.root, "cm"),
      };
      mkdirSync(target.controlDir, { mode: 0o700 });
      const rules = buildRules({ includes: [], excludes: [], familyExcludes: [], projectRoot: sc.rchDir });
      const r = await runRsync(
        pushArgv({ target, compressionLevel: 0, timeoutMs: 30_000 }, sc.rchDir, `${w.remoteRoot}/hk`, rules),
        30_000,
      );
      expect(r).toMatchObject({ ok: false, reason: "worker host key changed" });
    } finally {
      bed.fleet.writeClientFiles();
    }
  });
});
