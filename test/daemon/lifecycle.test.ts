// Daemon lifecycle with real processes: auto-start races, stale files, a daemon killed mid-job,
// clients killed while holding slots, lease expiry, config reload, and the CLI around it.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { spawn } from "bun";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { cleanUp } from "../support/cleanup.ts";
import {
  admin,
  BUN,
  type DaemonProc,
  job,
  makeEnv,
  type RchEnv,
  rchCli,
  selector,
  startDaemon,
  stopByPidFile,
  usedSlots,
  waitFor,
} from "./helpers.ts";

// Real processes throughout (clients and daemons run from source: ~0.1–0.5 s to start each here,
// several times that on a slow machine).
setDefaultTimeout(90_000);

let fleet: Fleet;
const envs: RchEnv[] = [];
const daemons: DaemonProc[] = [];

beforeAll(async () => {
  fleet = await startFleet({ workers: 2, toolchains: ["cc"] });
}, 120_000);

afterEach(() =>
  cleanUp(
    ...daemons.splice(0).map((d) => () => d.kill()),
    ...envs.splice(0).flatMap((rch) => [
      () => stopByPidFile(rch, "SIGKILL"), // auto-started daemons are not our children
      () => rch.cleanup(),
    ]),
  ),
);

afterAll(() => fleet?.stop());

function env(): RchEnv {
  const rch = makeEnv(fleet);
  rch.writeWorkers(fleet.workersToml());
  envs.push(rch);
  return rch;
}

const CLIENT = join(import.meta.dir, "fixtures", "client.ts");

async function client(rch: RchEnv, spec: object, timeoutMs = 60_000) {
  const p = spawn([BUN, CLIENT, JSON.stringify(spec)], { env: rch.env, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  const lines = out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, err };
}

/** Live processes running `daemon run` with this environment's state dir. */
function daemonPids(rch: RchEnv): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${name}/environ`, "utf8");
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (/\) Z /.test(stat)) continue;
      if (cmd.includes("daemon\0run") && environ.includes(`RCH_STATE_DIR=${rch.env.RCH_STATE_DIR}\0`))
        pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

test("10 concurrent clients with no daemon start exactly one", async () => {
  const rch = env();
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => client(rch, { job: job({ argv: ["make", `t${i}`] }), holdMs: 300 })),
  );
  for (const r of results) {
    expect(r.code).toBe(0);
    expect(r.lines[0]?.kind).toBe("worker");
  }
  // A starter that lost the race may still be on its way out (a loaded machine): one remains, and
  // the log shows that only one ever listened.
  await waitFor("one daemon left", () => daemonPids(rch).length === 1, 10_000);
  const log = readFileSync(rch.paths.log, "utf8");
  expect(log.match(/listening on/g)).toHaveLength(1);
  expect(log).not.toContain("already running");
  expect(await usedSlots(rch)).toEqual({ w1: 0, w2: 0 });
});

test("stale socket and pid files from a killed daemon do not stop the next start", async () => {
  const rch = env();
  const d = await startDaemon(rch);
  await d.kill();
  expect(existsSync(rch.paths.socket)).toBe(true); // SIGKILL left them behind
  expect(existsSync(rch.paths.pid)).toBe(true);
  const r = await client(rch, { job: job(), holdMs: 0 });
  expect(r.lines[0]).toMatchObject({ kind: "worker" });
  expect(daemonPids(rch)).toHaveLength(1);
  expect(Number(readFileSync(rch.paths.pid, "utf8"))).toBe(daemonPids(rch)[0]!);
  // A plain file squatting on the socket path is replaced too.
  for (const pid of daemonPids(rch)) process.kill(pid, "SIGKILL");
  await waitFor("daemon gone", () => daemonPids(rch).length === 0);
  rmSync(rch.paths.socket);
  writeFileSync(rch.paths.socket, "junk");
  const r2 = await client(rch, { job: job(), holdMs: 0 });
  expect(r2.lines[0]).toMatchObject({ kind: "worker" });
});

test("daemon killed mid-job: the job completes, no slot is lost after restart", async () => {
  const rch = env();
  const d = await startDaemon(rch);
  daemons.push(d);
  // The client holds its lease until the gate opens: the daemon dies while the "build" runs.
  const gate = join(rch.dir, "gate");
  const running = client(rch, { job: job({ forcedWorker: "w1" }), holdMs: 60_000, gate });
  try {
    await waitFor("the lease", async () => (await usedSlots(rch)).w1 === 1, 30_000);
    await d.kill();
  } finally {
    writeFileSync(gate, "");
  }
  const r = await running; // renewals fail, the build goes on, release is best-effort
  expect(r.code).toBe(0);
  expect(r.lines).toEqual([expect.objectContaining({ kind: "worker", worker: "w1" }), { released: true }]);
  const after = await client(rch, { job: job(), holdMs: 0 }); // auto-starts a fresh daemon
  expect(after.lines[0]).toMatchObject({ kind: "worker" });
  expect(await usedSlots(rch)).toEqual({ w1: 0, w2: 0 });
});

test("a client killed with SIGKILL while holding a slot frees it at once", async () => {
  const rch = env();
  daemons.push(await startDaemon(rch));
  const p = spawn([BUN, CLIENT, JSON.stringify({ job: job({ forcedWorker: "w2" }), holdMs: 60_000 })], {
    env: rch.env,
    stdout: "pipe",
  });
  await waitFor("the lease", async () => (await usedSlots(rch)).w2 === 1, 30_000);
  p.kill("SIGKILL");
  await p.exited;
  // At once: by the closed connection, not by the lease running out (30 s without renewal).
  await waitFor("the slot to come back", async () => (await usedSlots(rch)).w2 === 0, 10_000);
});

test("a lease that is not renewed expires and frees its slot", async () => {
  const rch = env();
  // 1.5 s: short enough to watch it run out, long enough that a renewal every 0.5 s cannot miss
  // it on a loaded machine.
  const ttlMs = 1500;
  daemons.push(await startDaemon(rch, ["--lease-ttl-ms", String(ttlMs)]));
  // A raw client that selects and then goes silent while keeping its socket open.
  const socket = createConnection({ path: rch.paths.socket });
  await new Promise((r) => socket.once("connect", r));
  socket.write(
    `${JSON.stringify({ type: "hello", id: 1, protocol: PROTOCOL_VERSION, client: "t", pid: 1 })}\n`,
  );
  socket.write(`${JSON.stringify({ type: "select", id: 2, job: job({ forcedWorker: "w1" }) })}\n`);
  await waitFor("the lease", async () => (await usedSlots(rch)).w1 === 1);
  // The TTL, not the default 30 s: the bound tells the two apart and nothing more.
  await waitFor("expiry", async () => (await usedSlots(rch)).w1 === 0, 10_000);
  socket.destroy();
  // A renewing client keeps its lease far beyond the TTL (this wait is the observation, not a sync).
  const sel = selector(rch);
  const s = await sel.select(job({ forcedWorker: "w1" }));
  expect(s.kind).toBe("worker");
  await Bun.sleep(ttlMs * 2.5);
  expect((await usedSlots(rch)).w1).toBe(1);
  if (s.kind === "worker") await s.lease.release({ kind: "remote", exitCode: 0, remoteMs: 1 });
  expect((await usedSlots(rch)).w1).toBe(0);
  sel.close();
});

test("workers.toml changes are picked up without a restart", async () => {
  const rch = env();
  rch.writeWorkers(fleet.workersToml().split("[[workers]]").slice(0, 2).join("[[workers]]")); // w1 only
  const d = await startDaemon(rch);
  daemons.push(d);
  const a = admin(rch);
  expect((await a.status(0)).workers.map((w) => w.id)).toEqual(["w1"]);
  rch.writeWorkers(fleet.workersToml({ tags: ["x"] }));
  await waitFor("the reload", async () => (await a.status(0)).workers.length === 2, 15_000);
  const s = await a.status(0);
  expect(s.daemon.pid).toBe(d.pid);
  expect(s.workers.map((w) => [w.id, w.tags])).toEqual([
    ["w1", ["x"]],
    ["w2", ["x"]],
  ]);
  a.close();
  await waitFor("the reload log line", () => d.log().includes("config reloaded"));
});

test("rch daemon start|status|restart|stop", async () => {
  const rch = env();
  expect((await rchCli(rch, ["daemon", "status"])).code).toBe(3);
  const started = await rchCli(rch, ["daemon", "start"]);
  expect(started).toMatchObject({ code: 0 });
  expect(started.stdout).toMatch(/started rchd \(pid \d+\)/);
  expect((await rchCli(rch, ["daemon", "start"])).stdout).toContain("already running");
  const st = await rchCli(rch, ["--format", "json", "daemon", "status"]);
  expect(JSON.parse(st.stdout)).toMatchObject({ running: true, workers: 2, slots: 8 });
  const pid1 = JSON.parse(st.stdout).pid as number;
  expect((await rchCli(rch, ["daemon", "restart"])).code).toBe(0);
  const pid2 = JSON.parse((await rchCli(rch, ["--format", "json", "daemon", "status"])).stdout).pid as number;
  expect(pid2).not.toBe(pid1);
  expect(daemonPids(rch)).toEqual([pid2]);
  const logs = await rchCli(rch, ["daemon", "logs", "-n", "100"]);
  expect(logs.stdout.match(/listening on/g)).toHaveLength(2);
  const stopped = await rchCli(rch, ["daemon", "stop"]);
  expect(stopped.stdout).toContain("stopped rchd");
  expect(daemonPids(rch)).toEqual([]);
  expect(existsSync(rch.paths.socket)).toBe(false);
  expect((await rchCli(rch, ["daemon", "stop"])).stdout).toContain("not running");
});
