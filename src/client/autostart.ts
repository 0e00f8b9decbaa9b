// Connect to rchd, starting it when absent. Ten clients arriving at once start ONE daemon: the
// first to take the start lock (flock) spawns it, everyone polls the socket. A stale socket or
// pid file needs no special case: the daemon itself takes the daemon lock before touching the
// socket, and a daemon that is already running makes a second one exit at once.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { isLocked, tryLock } from "../protocol/flock.ts";
import type { DaemonPaths } from "../protocol/paths.ts";
import { Connection, DaemonUnavailableError, type OpenOptions, SocketForbiddenError } from "./connection.ts";

export interface ConnectOptions extends OpenOptions {
  paths: DaemonPaths;
  /** Start the daemon when it is not running (once; the caller decides how often to try). */
  autoStart: boolean;
  /** How to run the daemon in the foreground, e.g. [rch, "daemon", "run"]. */
  daemonArgv: string[];
  /** Upper bound for a start: spawn + socket accepting. */
  startTimeoutMs?: number;
}

const LOG_ROTATE_BYTES = 5 << 20;
const POLL_MS = 20;

/** Starts `argv` detached (own session: survives the agent's Ctrl-C), output appended to the log. */
export function spawnDaemon(argv: readonly string[], logFile: string): { exited: Promise<number | null> } {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  if (existsSync(logFile) && statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  const fd = openSync(logFile, "a", 0o600);
  try {
    // Loaded here, not with the module: node:child_process costs ~1.1 M instructions to load
    // (callgrind, compiled stub), and nearly every `rch exec` finds its daemon running.
    const { spawn } = require("node:child_process") as typeof import("node:child_process");
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: process.env,
    });
    child.unref();
    return {
      exited: new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.once("error", () => resolve(127));
      }),
    };
  } finally {
    closeSync(fd);
  }
}

async function poll(
  opts: ConnectOptions,
  deadline: number,
  exited?: Promise<number | null>,
): Promise<Connection> {
  let exitCode: number | null | undefined;
  void exited?.then((c) => {
    exitCode = c;
  });
  let last: unknown;
  for (;;) {
    try {
      return await Connection.open(opts.paths.socket, opts);
    } catch (e) {
      last = e;
    }
    // Exit code 0 means "already running": another daemon won, keep polling for it.
    if (exitCode !== undefined && exitCode !== 0 && !isLocked(opts.paths.lock)) {
      throw new DaemonUnavailableError(`rchd exited with code ${exitCode} at start (see ${opts.paths.log})`);
    }
    if (Date.now() >= deadline) {
      throw new DaemonUnavailableError(
        `rchd did not come up within the start timeout (${(last as Error).message})`,
      );
    }
    await Bun.sleep(POLL_MS);
  }
}

export async function connectDaemon(opts: ConnectOptions): Promise<Connection> {
  try {
    return await Connection.open(opts.paths.socket, opts);
  } catch (e) {
    // A sandbox that forbids sockets would stop a daemon started from here as well.
    if (!opts.autoStart || !(e instanceof DaemonUnavailableError) || e instanceof SocketForbiddenError)
      throw e;
  }
  const deadline = Date.now() + (opts.startTimeoutMs ?? 5000);
  mkdirSync(dirname(opts.paths.socket), { recursive: true, mode: 0o700 });
  const startLock = tryLock(opts.paths.startLock);
  if (!startLock) return poll(opts, deadline); // another client is starting it
  try {
    try {
      return await Connection.open(opts.paths.socket, opts); // it may have come up meanwhile
    } catch {
      // still absent
    }
    // A held daemon lock means a daemon is between lock and listen (or hung): wait, don't spawn.
    const started = isLocked(opts.paths.lock) ? undefined : spawnDaemon(opts.daemonArgv, opts.paths.log);
    return await poll(opts, deadline, started?.exited);
  } finally {
    startLock.release();
  }
}
