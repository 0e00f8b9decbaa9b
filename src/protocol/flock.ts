// Advisory file locks through flock(2). The kernel drops a flock when its holder dies, so a
// crashed daemon or client never leaves a stale lock behind (pid files and O_EXCL markers do).
// Bun has no flock binding, hence FFI into libc; where that is unavailable we fall back to an
// O_EXCL marker holding our pid, treated as stale when that pid is gone.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const LOCK_EX = 2;
const LOCK_NB = 4;

type FlockFn = (fd: number, op: number) => number;
let flockFn: FlockFn | null | undefined;

function loadFlock(): FlockFn | null {
  if (flockFn !== undefined) return flockFn;
  flockFn = null;
  for (const lib of ["libc.so.6", "libc.so", "/usr/lib/libSystem.B.dylib"]) {
    try {
      const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
      const h = dlopen(lib, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
      flockFn = (fd, op) => h.symbols.flock(fd, op) as number;
      break;
    } catch {
      // try the next name
    }
  }
  return flockFn;
}

export interface HeldLock {
  release(): void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryMarker(path: string): HeldLock | undefined {
  const marker = `${path}.pid-lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(marker, String(process.pid), { flag: "wx", mode: 0o600 });
      return { release: () => rmSync(marker, { force: true }) };
    } catch {
      const owner = Number(readFileSync(marker, "utf8").trim() || "0");
      if (owner > 0 && pidAlive(owner)) return undefined;
      rmSync(marker, { force: true }); // stale: its holder died
    }
  }
  return undefined;
}

/** Takes the exclusive lock on `path` without blocking; undefined when someone else holds it. */
export function tryLock(path: string): HeldLock | undefined {
  const flock = loadFlock();
  if (!flock) return tryMarker(path);
  const fd = openSync(path, "a", 0o600);
  if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    closeSync(fd);
    return undefined;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd); // closing the last descriptor drops the flock
    },
  };
}

/** True when somebody holds the lock right now (probes by taking and dropping it). */
export function isLocked(path: string): boolean {
  const held = tryLock(path);
  if (!held) return true;
  held.release();
  return false;
}
