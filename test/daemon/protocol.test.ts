// The socket boundary of a real daemon process: malformed input gets an error reply and the
// daemon keeps serving; the protocol version is checked; only the owner can connect.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { dirname } from "node:path";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.ts";
import { freePort } from "../bed/system.ts";
import { cleanUp } from "../support/cleanup.ts";
import {
  admin,
  type DaemonProc,
  fakeWorkersToml,
  job,
  makeEnv,
  RCH,
  type RchEnv,
  selector,
  startDaemon,
  waitFor,
} from "./helpers.ts";

// A daemon started from source (and restarted once): seconds on a slow machine.
setDefaultTimeout(60_000);

let rch: RchEnv;
let daemon: DaemonProc;

// Free right now and below the ephemeral range (a random port up to 40,000 could be any outgoing
// connection's, or another test's sshd).
const metricsPort = freePort();

beforeAll(async () => {
  rch = makeEnv();
  rch.writeConfig({ daemon: { metrics_port: metricsPort, history_max_jobs: 10 } });
  rch.writeWorkers(fakeWorkersToml(2));
  daemon = await startDaemon(rch, ["--no-heartbeat"]);
});

afterAll(() =>
  cleanUp(
    () => daemon?.stop(),
    () => rch?.cleanup(),
  ),
);

/** A raw line-level client: write lines, read reply lines. */
async function raw(): Promise<{
  send(s: string): void;
  next(): Promise<Record<string, unknown>>;
  close(): void;
  socket: Socket;
}> {
  const socket = createConnection({ path: rch.paths.socket });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let buf = "";
  socket.on("data", (d) => {
    buf += d.toString();
    let nl = buf.indexOf("\n");
    while (nl !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
      nl = buf.indexOf("\n");
    }
  });
  return {
    socket,
    send: (s) => socket.write(s),
    next: () =>
      new Promise((resolve, reject) => {
        // A no-hang bound: replies take milliseconds, a 13 MB line a few hundred on a slow machine.
        const t = setTimeout(() => reject(new Error("no reply within 15 s")), 15_000);
        const take = (l: string) => {
          clearTimeout(t);
          resolve(JSON.parse(l) as Record<string, unknown>);
        };
        const l = lines.shift();
        if (l !== undefined) take(l);
        else waiters.push(take);
      }),
    close: () => socket.destroy(),
  };
}

const hello = (id = 1, protocol = PROTOCOL_VERSION) =>
  `${JSON.stringify({ type: "hello", id, protocol, client: "test", pid: process.pid })}\n`;

test("malformed messages get an error reply and the connection keeps serving", async () => {
  const c = await raw();
  c.send("this is not json\n");
  expect(await c.next()).toMatchObject({ type: "error", id: null, code: "bad_json" });
  c.send(`${JSON.stringify({ type: "status", id: 7 })}\n`);
  expect(await c.next()).toMatchObject({ type: "error", id: 7, code: "hello_required" });
  c.send(hello());
  expect(await c.next()).toMatchObject({ type: "hello", id: 1, protocol: PROTOCOL_VERSION, pid: daemon.pid });
  c.send(`${JSON.stringify({ type: "launch-missiles", id: 2 })}\n`);
  const unknownType = await c.next();
  expect(unknownType).toMatchObject({ type: "error", id: 2, code: "bad_request" });
  expect(String(unknownType.message)).toContain(`type "launch-missiles"`);
  expect(String(unknownType.message)).toContain("select");
  c.send(`${JSON.stringify({ type: "select", id: 3, job: { projectRoot: 5 } })}\n`);
  const bad = await c.next();
  expect(bad).toMatchObject({ type: "error", id: 3, code: "bad_request" });
  expect(String(bad.message)).toContain("job.projectRoot");
  c.send("[1,2,3]\n{}\nnull\n");
  for (let i = 0; i < 3; i++) expect(await c.next()).toMatchObject({ type: "error", code: "bad_request" });
  c.send(`${JSON.stringify({ type: "renew", id: 4, leaseId: "l-nope" })}\n`);
  expect(await c.next()).toMatchObject({ type: "error", id: 4, code: "unknown_lease" });
  c.send(`${JSON.stringify({ type: "follow", id: 5, jobId: "j-nope" })}\n`);
  expect(await c.next()).toMatchObject({ type: "error", id: 5, code: "unknown_job" });
  c.send(`${JSON.stringify({ type: "status", id: 6 })}\n`);
  expect(await c.next()).toMatchObject({ type: "status", id: 6 });
  c.close();
});

test("an over-long line is rejected without killing the connection", async () => {
  const c = await raw();
  c.send(hello());
  await c.next();
  const big = "x".repeat(13 << 20);
  c.send(`{"type":"status","id":9,"pad":"${big}"}\n`);
  expect(await c.next()).toMatchObject({ type: "error", code: "too_long" });
  c.send(`${JSON.stringify({ type: "status", id: 10 })}\n`);
  expect(await c.next()).toMatchObject({ type: "status", id: 10 });
  c.close();
});

test("a client of another protocol version is refused and disconnected", async () => {
  const c = await raw();
  const closed = new Promise<void>((r) => c.socket.once("close", () => r()));
  c.send(hello(1, PROTOCOL_VERSION + 41));
  expect(await c.next()).toMatchObject({ type: "error", id: 1, code: "protocol_mismatch" });
  await closed;
});

test("garbage, half lines and abrupt disconnects leave the daemon serving", async () => {
  for (let i = 0; i < 20; i++) {
    const c = await raw();
    c.send(i % 2 ? "\u0000\u0001\u0002{{{{" : `{"type":"hello","id":1,"protocol":${PROTOCOL_VERSION}`);
    c.close();
  }
  const a = admin(rch);
  const s = await a.status(0);
  a.close();
  expect(s.daemon.pid).toBe(daemon.pid);
  expect(daemon.proc.exitCode).toBeNull();
});

test("socket 0600 in a 0700 directory: another user cannot connect", async () => {
  expect(statSync(rch.paths.socket).mode & 0o777).toBe(0o600);
  expect(statSync(dirname(rch.paths.socket)).mode & 0o777).toBe(0o700);
  // Let `nobody` traverse the directory, so the socket's own mode is what stops it.
  chmodSync(dirname(rch.paths.socket), 0o711);
  chmodSync(rch.dir, 0o711);
  try {
    expect(await connectAs("nobody")).toBe("EACCES");
    // Control: the same client does connect once the socket mode allows it, so EACCES above
    // really is the socket's permission at work.
    chmodSync(rch.paths.socket, 0o666);
    expect(await connectAs("nobody")).toBe("CONNECTED");
  } finally {
    chmodSync(rch.paths.socket, 0o600);
    chmodSync(dirname(rch.paths.socket), 0o700);
  }
});

async function connectAs(user: string): Promise<string> {
  const script = `require("net").createConnection({path: process.argv[1]}).on("connect", () => { console.log("CONNECTED"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(3); });`;
  const argv = [
    "setpriv",
    `--reuid=${user}`,
    "--regid=nogroup",
    "--clear-groups",
    process.execPath,
    "-e",
    script,
  ];
  const p = Bun.spawn([...argv, rch.paths.socket], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
  const [out] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  clearTimeout(timer);
  return out.trim();
}

test("timings, bounded job history and counters persist across a restart", async () => {
  const sel = selector(rch);
  await sel.record("/p/t", "cargo build", "local", 4000);
  await sel.record("/p/t", "cargo build", "local", 2000); // averaged: 0.7 × 4000 + 0.3 × 2000
  expect(await sel.get("/p/t", "cargo build")).toEqual({ localMs: 3400 });
  for (let i = 0; i < 25; i++) {
    const s = await sel.select(job({ projectRoot: "/p/t", kind: "cargo build" }));
    if (s.kind !== "worker") throw new Error(`expected a lease: ${JSON.stringify(s)}`);
    await s.lease.release({ kind: "remote", exitCode: 0, remoteMs: 1000 });
  }
  expect((await sel.get("/p/t", "cargo build")).remoteMs).toBe(1000);
  sel.close();
  await daemon.stop();
  daemon = await startDaemon(rch, ["--no-heartbeat"]);
  const again = selector(rch);
  expect(await again.get("/p/t", "cargo build")).toEqual({ localMs: 3400, remoteMs: 1000 });
  again.close();
  const s = await admin(rch).status(100);
  expect(s.jobs.recent).toHaveLength(10); // history_max_jobs = 10
  expect(s.stats.remoteJobs).toBeGreaterThanOrEqual(25);
  expect(s.stats.timeSavedMs).toBeGreaterThanOrEqual(25 * 2400); // local 3400 vs remote 1000
});

test("Prometheus metrics on 127.0.0.1 when daemon.metrics_port is set", async () => {
  const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
  expect(text).toContain('rch_worker_slots_total{worker="f1"} 4');
  expect(text).toContain('rch_worker_circuit_state{worker="f2",state="closed"} 1');
  expect(text).toMatch(/rch_jobs_total\{outcome="remote"\} \d+/);
  expect(text).toContain("# TYPE rch_select_duration_seconds summary");
  expect((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status).toBe(404);
});

test("rch status --watch redraws until interrupted, then exits 0", async () => {
  const p = Bun.spawn([...RCH, "status", "--watch", "--interval", "0.2"], {
    env: rch.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const reading = (async () => {
    for await (const c of p.stdout) out += new TextDecoder().decode(c);
  })();
  await waitFor("two frames", () => (out.match(/Ctrl-C to quit/g) ?? []).length >= 2, 10_000);
  p.kill("SIGINT");
  expect(await p.exited).toBe(0);
  await reading;
  expect(out).toContain("rchd 0.1.0");
  expect(out).toMatch(/f1\s+[█░]+ 0\/4/);
});
