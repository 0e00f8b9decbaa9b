// Staging a bed worker's remote_root for the disk tests: fake project copies (data files under
// target/, a stamp whose mtime `touch -t` sets to the copy's last use, as the worker's own tools
// would), filler that no GC may touch, a held copy lock (a separate ssh session running
// `flock -s <lock> sleep`, as a build's session holds it), and the worker's df.
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BedWorker, sshArgs } from "../bed/fleet.ts";
import { type Outcome, type Running, run, start } from "../exec-scenarios/proc.ts";

export const MB = 1024 * 1024;
const ENV = { PATH: "/usr/bin:/bin", LANG: "C" };

export interface FakeCopy {
  /** <name>-<12 hex>, as rch names copies. */
  name: string;
  /** Size of its data, bytes (split into `files` files under target/debug/deps). */
  bytes: number;
  /** Last use, seconds ago (the stamp's mtime); no stamp when `stamp` is false. */
  ago: number;
  files?: number;
  project?: string;
  owner?: string;
  /** Bytes under target/debug/incremental (cargo's, trimmed first by GC). */
  incrementalBytes?: number;
  stamp?: boolean;
}

/** ssh to the bed worker (through its master) running argv as the worker's user. */
export function onWorker(
  w: BedWorker,
  script: string,
  args: string[] = [],
  timeoutMs = 30_000,
): Promise<Outcome> {
  const quoted = ["sh", "-c", script, "rch", ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return run(["ssh", ...sshArgs(w, { mux: true }), quoted], { cwd: "/", env: ENV, timeoutMs });
}

/** `touch -t` stamp for `ago` seconds before now (local time, as touch reads it). */
export function touchTime(ago: number, now = Date.now()): string {
  const d = new Date(now - ago * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}.${p(d.getSeconds())}`;
}

/** Writes the copies into the worker's remote_root (owned by the worker's user), then sets each
 * stamp's mtime with `touch -t` on the worker. */
export async function stageCopies(w: BedWorker, copies: FakeCopy[]): Promise<void> {
  const root = w.remoteRoot;
  const stamps = join(root, ".rch", "stamps");
  mkdirSync(stamps, { recursive: true });
  const touches: string[] = [];
  for (const c of copies) {
    const deps = join(root, c.name, "target", "debug", "deps");
    mkdirSync(deps, { recursive: true });
    const files = c.files ?? 1;
    for (let i = 0; i < files; i++)
      writeFileSync(join(deps, `f${i}.o`), Buffer.alloc(Math.floor(c.bytes / files), i % 251));
    if (c.incrementalBytes) {
      const inc = join(root, c.name, "target", "debug", "incremental", "s-0");
      mkdirSync(inc, { recursive: true });
      writeFileSync(join(inc, "query-cache.bin"), Buffer.alloc(c.incrementalBytes, 3));
    }
    writeFileSync(join(root, `${c.name}.rch-sync`), "staged\n");
    if (c.stamp === false) {
      touches.push(touchTime(c.ago), join(root, c.name), touchTime(c.ago), join(root, c.name, "target"));
    } else {
      const who = `client=c0ffee name=${c.owner ?? "ws-a"} project=${c.project ?? `/home/u/${c.name}`}`;
      writeFileSync(join(stamps, c.name), `${who}\n`);
      touches.push(touchTime(c.ago), join(stamps, c.name));
    }
  }
  chownTree(join(root, ".rch"), w.uid);
  for (const c of copies) {
    chownTree(join(root, c.name), w.uid);
    chownSync(join(root, `${c.name}.rch-sync`), w.uid, w.uid);
  }
  const r = await onWorker(w, 'while [ $# -gt 1 ]; do touch -t "$1" "$2" || exit 1; shift 2; done', touches);
  if (r.code !== 0) throw new Error(`touch -t on the worker failed: ${r.stderr}`);
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}

/** A file no GC may remove (its name is not a copy's): takes space until `unfill`. */
export function fill(w: BedWorker, bytes: number): string {
  const f = join(w.remoteRoot, "filler");
  writeFileSync(f, Buffer.alloc(bytes, 1));
  chownSync(f, w.uid, w.uid);
  return f;
}

/** Free and total kB of the worker's remote_root (df -Pk there, as the worker sees it). */
export async function df(w: BedWorker): Promise<{ availKb: number; totalKb: number }> {
  const r = await run(["df", "-Pk", w.remoteRoot], { cwd: "/", env: ENV, timeoutMs: 10_000 });
  const f = r.stdout.trim().split("\n")[1]!.split(/\s+/);
  return { availKb: Number(f[3]), totalKb: Number(f[1]) };
}

/** The copies (dirs named <name>-<12 hex>) in the worker's remote_root. */
export function copiesOn(w: BedWorker): string[] {
  return readdirSync(w.remoteRoot)
    .filter((n) => /-[0-9a-f]{12}$/.test(n))
    .sort();
}

/** Empties the worker's remote_root (between tests). */
export function clearRoot(w: BedWorker): void {
  for (const n of readdirSync(w.remoteRoot)) rmSync(join(w.remoteRoot, n), { recursive: true, force: true });
}

/** Holds a copy's lock from a separate ssh session, as a build's session does, until released. */
export async function holdCopyLock(
  w: BedWorker,
  copy: string,
  mode: "-s" | "-x" = "-s",
): Promise<() => Promise<void>> {
  const lock = join(w.remoteRoot, ".rch", "locks", copy);
  const ready = `${lock}.held`;
  const script = 'mkdir -p "$4" && exec flock "$2" "$1" sh -c \': > "$0"; exec sleep 120\' "$3"';
  const quoted = ["sh", "-c", script, "rch", lock, mode, ready, join(w.remoteRoot, ".rch", "locks")]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(" ");
  const h: Running = start(["ssh", ...sshArgs(w, { mux: true }), quoted], {
    cwd: "/",
    env: ENV,
    timeoutMs: 150_000,
  });
  const end = Date.now() + 15_000;
  while (!existsSync(ready) && Date.now() < end) await Bun.sleep(20);
  if (!existsSync(ready)) throw new Error(`could not take the lock of ${copy} on ${w.id}`);
  rmSync(ready, { force: true });
  return async () => {
    await killWorkerProcs(w, (cmd) => cmd.includes(lock));
    await h.exited;
  };
}

/** SIGKILLs the process groups of the worker's processes whose command line matches. */
export async function killWorkerProcs(w: BedWorker, match: (cmdline: string) => boolean): Promise<number> {
  let killed = 0;
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const status = await Bun.file(`/proc/${pid}/status`).text();
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      if (uid !== w.uid) continue;
      const cmd = (await Bun.file(`/proc/${pid}/cmdline`).text()).replaceAll("\0", " ");
      if (!match(cmd)) continue;
      const stat = await Bun.file(`/proc/${pid}/stat`).text();
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      process.kill(pgid > 1 ? -pgid : Number(pid), "SIGKILL");
      killed++;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}
