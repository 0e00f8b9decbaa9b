// Tearing a fleet down needs only its scratch dir: users are found by their unique name prefix
// and home, mounts from /proc/self/mountinfo. So the same code serves Fleet.stop(), the CLI's
// `down`, and the reaping of fleets left behind by a crashed test process.
import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { killAll, pidAlive, pidStartTime, run } from "./proc.ts";
import { deleteUser, type PasswdEntry, passwd, unmountUnder } from "./system.ts";

export const SCRATCH_PARENT = "/tmp";
export const FLEET_DIR_RE = /^rchbed-([0-9a-f]{4})$/;

export interface Owner {
  pid: number;
  /** pidStartTime(pid): tells the owner apart from a later process that got the same PID. */
  start: number | undefined;
  /** Manual fleets (`cli.ts up`) outlive their creator and are never reaped automatically. */
  persistent: boolean;
  createdAt: string;
}

export const userPrefix = (fleetId: string): string => `rchb${fleetId}w`;

export function fleetUsers(dir: string): PasswdEntry[] {
  const id = FLEET_DIR_RE.exec(basename(dir))?.[1];
  if (!id) return [];
  return passwd().filter((e) => e.name.startsWith(userPrefix(id)) && e.home.startsWith(`${dir}/`));
}

function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "owner.json"), "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

/** Files a worker left directly in the shared temp dirs (cargo/bun temp files). Must run before
 * userdel: afterwards the uid may already belong to a user of another fleet. */
function removeFilesOf(uids: ReadonlySet<number>): void {
  for (const parent of ["/tmp", "/var/tmp", "/dev/shm"]) {
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(parent, name);
      try {
        if (uids.has(lstatSync(path).uid)) rmSync(path, { recursive: true, force: true });
      } catch {
        // vanished meanwhile
      }
    }
  }
}

async function closeMasters(dir: string): Promise<void> {
  const cm = join(dir, "cm");
  if (!existsSync(cm)) return;
  await Promise.all(
    readdirSync(cm).map((s) =>
      // The host argument is required but ignored when ControlPath names the socket.
      run(["ssh", "-o", `ControlPath=${join(cm, s)}`, "-O", "exit", "x"], { timeoutMs: 2000 }),
    ),
  );
}

/** Stops everything of the fleet in `dir`: client masters, every process of its users (by PID),
 * its users, mounts, and the dir itself. Safe to repeat. */
export async function teardown(dir: string, knownPids: readonly number[] = []): Promise<void> {
  await closeMasters(dir);
  const users = fleetUsers(dir);
  const uids = users.map((u) => u.uid);
  await killAll(knownPids, uids);
  removeFilesOf(new Set(uids));
  for (const u of users) await deleteUser(u.name);
  await unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

function isStale(dir: string): boolean {
  const owner = readOwner(dir);
  if (!owner) {
    // Between mkdir and writing owner.json a live fleet has no owner yet: give it a minute.
    try {
      return Date.now() - statSync(dir).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
  if (owner.persistent) return false;
  return !(pidAlive(owner.pid) && pidStartTime(owner.pid) === owner.start);
}

/** Only one process may reap a given dir; a lock whose holder died is taken over. */
function takeReapLock(dir: string): boolean {
  const lock = join(dir, "reap.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      const holder = Number(readFileSync(lock, { encoding: "utf8", flag: "r" }) || "0");
      if (holder > 0 && pidAlive(holder)) return false;
      rmSync(lock, { force: true });
    }
  }
  return false;
}

/** Tears down fleets whose owning process is dead (a test run that crashed or was killed). */
export async function reapStale(): Promise<string[]> {
  const reaped: string[] = [];
  for (const name of readdirSync(SCRATCH_PARENT)) {
    if (!FLEET_DIR_RE.test(name)) continue;
    const dir = join(SCRATCH_PARENT, name);
    try {
      if (!isStale(dir) || !takeReapLock(dir)) continue;
    } catch {
      continue; // removed by someone else meanwhile
    }
    await teardown(dir);
    reaped.push(dir);
  }
  return reaped;
}

export function ownerOf(dir: string): Owner | undefined {
  return readOwner(dir);
}
