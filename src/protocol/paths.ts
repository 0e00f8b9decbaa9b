// Where the daemon's files live. Everything is keyed by the socket path, so two daemons with two
// sockets (tests, or a user who sets RCH_SOCKET_PATH) never share a lock or a pid file.
import { join } from "node:path";
import { cacheDir, expandHome, stateDir } from "../config/paths.ts";
import type { Config } from "../config/schema.ts";

export interface DaemonPaths {
  socket: string;
  /** flock'd by the running daemon for its whole life: the "one daemon per socket" guarantee. */
  lock: string;
  /** flock'd by a client while it starts a daemon, so ten clients start one. */
  startLock: string;
  /** Pid of the daemon holding `lock` (informational; the lock is the truth). */
  pid: string;
  /** Where a background daemon's stdout/stderr go. */
  log: string;
  /** SQLite history: jobs, timings, speed scores, drained workers, affinity. */
  db: string;
}

export function daemonPaths(socketPath: string): DaemonPaths {
  const socket = expandHome(socketPath);
  return {
    socket,
    lock: `${socket}.lock`,
    startLock: `${socket}.start`,
    pid: `${socket}.pid`,
    log: join(stateDir(), "rchd.log"),
    db: join(stateDir(), "rchd.sqlite"),
  };
}

/** The configured socket, or by default `<cache dir>/rch.sock` (~/.cache/rch/rch.sock). */
export function socketPath(config: Config): string {
  return config.general.socket_path || join(cacheDir(), "rch.sock");
}

export function pathsFromConfig(config: Config): DaemonPaths {
  return daemonPaths(socketPath(config));
}
