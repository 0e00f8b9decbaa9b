// The daemon socket as an I/O edge of `rch exec`: whatever the other end does — closes mid-request,
// answers garbage, never answers, resets while we write — the client's answer is a value ("run
// locally, because …", or "lead" for a claim), in bounded time, and nothing rejects unobserved.
// The other end is a real unix-socket server in this process speaking just enough of the protocol.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Socket, SocketListener } from "bun";
import { createDaemonSelector } from "../../src/client/daemonSelector.ts";
import { type Config, defaultConfig } from "../../src/config/schema.ts";
import type { SelectRequest } from "../../src/protocol/selector.ts";

const dir = mkdtempSync("/tmp/rch-edges-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Reply = (msg: Record<string, unknown>, sock: Socket<unknown>) => void;

let server: SocketListener<unknown> | undefined;
let unobserved: unknown[] = [];
const onUnhandled = (e: unknown) => unobserved.push(e);
process.on("unhandledRejection", onUnhandled);
afterAll(() => process.off("unhandledRejection", onUnhandled));
afterEach(() => {
  server?.stop(true);
  server = undefined;
  unobserved = [];
});

const worker = {
  id: "w1",
  host: "127.0.0.1",
  port: 22,
  total_slots: 2,
  priority: 100,
  tags: [],
  remote_root: "~/.cache/rch/projects",
  enabled: true,
};

/** A fake rchd: answers hello properly, then hands every other message to `reply`. */
function fakeDaemon(name: string, reply: Reply): Config {
  const socket = join(dir, `${name}.sock`);
  server = Bun.listen<unknown>({
    unix: socket,
    socket: {
      data(sock, chunk) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) {
          const msg = JSON.parse(line) as Record<string, unknown>;
          if (msg.type === "hello") {
            sock.write(
              `${JSON.stringify({ type: "hello", id: msg.id, protocol: 1, version: "0.1.0+dev", builtAt: 0, pid: 1, startedAt: 0 })}\n`,
            );
          } else reply(msg, sock);
        }
      },
    },
  });
  const config = defaultConfig();
  config.general.socket_path = socket;
  config.daemon.slot_wait_ms = 500;
  return config;
}

const job: SelectRequest = {
  projectRoot: "/p",
  kind: "make",
  argv: ["make"],
  env: {},
  sourceState: "",
  preferredWorkers: [],
};

const lease = (id: unknown) =>
  `${JSON.stringify({ type: "lease", id, leaseId: "L1", jobId: "J1", worker, warm: false, ttlMs: 30000, expiresAt: 0, waitedMs: 0 })}\n`;

async function select(config: Config) {
  const sel = createDaemonSelector({ config, autoStart: false });
  try {
    return await sel.select(job);
  } finally {
    sel.close();
  }
}

describe("select over a daemon socket that fails", () => {
  test("closed in the middle of a select: local, naming the daemon", async () => {
    const r = await select(fakeDaemon("close", (_m, s) => s.end()));
    expect(r).toEqual({ kind: "local", reason: "daemon error: the daemon closed the connection" });
    expect(unobserved).toEqual([]);
  });

  test("reset (terminated) in the middle of a select: local", async () => {
    const r = await select(fakeDaemon("reset", (_m, s) => s.terminate()));
    expect(r.kind).toBe("local");
    expect(unobserved).toEqual([]);
  });

  test("a reply that is not JSON, then silence: local after the request's deadline", async () => {
    const r = await select(fakeDaemon("garbage", (_m, s) => s.write("}{ not json\n")));
    expect(r).toMatchObject({ kind: "local" });
    expect((r as { reason: string }).reason).toMatch(/no reply within \d+ ms/);
    expect(unobserved).toEqual([]);
    // The select's own deadline (5 s) runs out here before the answer: a budget above bun's default.
  }, 30_000);

  test("a reply of the wrong shape: local, naming it", async () => {
    const r = await select(
      fakeDaemon("shape", (m, s) => s.write(`${JSON.stringify({ type: "lease", id: m.id, worker: 7 })}\n`)),
    );
    expect(r).toMatchObject({ kind: "local" });
    expect((r as { reason: string }).reason).toMatch(/unexpected reply/);
  });

  test("nothing listening (a stale socket file): local, no start attempted", async () => {
    const config = fakeDaemon("stale", () => {});
    server?.stop(true);
    server = undefined;
    const r = await select(config);
    expect(r.kind).toBe("local");
  });
});

describe("a lease whose daemon goes away", () => {
  test("claim, output and release after the socket closed: the build leads, nothing throws", async () => {
    let conn: Socket<unknown> | undefined;
    const config = fakeDaemon("lease", (m, s) => {
      conn = s;
      if (m.type === "select") s.write(lease(m.id));
    });
    const sel = createDaemonSelector({ config, autoStart: false });
    try {
      const r = await sel.select(job);
      expect(r.kind).toBe("worker");
      if (r.kind !== "worker") return;
      conn?.terminate();
      server?.stop(true);
      expect(await r.lease.claim!("state")).toEqual({ kind: "lead" });
      r.lease.onOutput!(1, new Uint8Array(2 << 20)); // two 1 MiB messages into a dead socket
      await r.lease.release({ kind: "remote", exitCode: 0, remoteMs: 1 });
      expect(unobserved).toEqual([]);
    } finally {
      sel.close();
    }
  });
});
