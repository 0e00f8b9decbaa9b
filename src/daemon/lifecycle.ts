// Start-up and shut-down files of the daemon: the socket directory (0700 when it is rch's own),
// the daemon lock (flock: held for the daemon's whole life, dropped by the kernel if it dies),
// and the pid file (informational, for `rch daemon stop|status`).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { cacheDir } from "../config/paths.ts";
import { type HeldLock, tryLock } from "../protocol/flock.ts";
import type { DaemonPaths } from "../protocol/paths.ts";
import type { Logger } from "./log.ts";

export class AlreadyRunningError extends Error {
  override name = "AlreadyRunningError";
  constructor(readonly pid: number | undefined) {
    super(`another rchd is already running${pid ? ` (pid ${pid})` : ""}`);
  }
}

/** Directories rch owns outright, which it may tighten to 0700. */
function ownDirs(): string[] {
  return [cacheDir()];
}

/** Creates the socket's directory 0700. An existing directory of rch's own is tightened to 0700;
 * any other (say /tmp for a custom socket_path) is left alone — the socket itself is 0600. */
export function prepareSocketDir(socket: string, log: Logger): void {
  const dir = dirname(socket);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return;
  }
  const st = statSync(dir);
  if ((st.mode & 0o077) === 0) return;
  if (st.uid === process.getuid?.() && ownDirs().includes(dir)) {
    chmodSync(dir, 0o700);
    return;
  }
  log.warn(`socket directory ${dir} is accessible to other users; the socket itself is 0600`);
}

export function readPid(paths: DaemonPaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.pid, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Becomes THE daemon for this socket, or throws AlreadyRunningError. */
export function acquireDaemonLock(paths: DaemonPaths): HeldLock {
  const lock = tryLock(paths.lock);
  if (!lock) throw new AlreadyRunningError(readPid(paths));
  writeFileSync(paths.pid, `${process.pid}\n`, { mode: 0o600 });
  return lock;
}

export function removeDaemonFiles(paths: DaemonPaths): void {
  rmSync(paths.socket, { force: true });
  if (readPid(paths) === process.pid) rmSync(paths.pid, { force: true });
}
