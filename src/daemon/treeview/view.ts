// A live view of one project tree: every entry the sync rules keep, with the stat the full scan
// (src/transfer/fingerprint.ts) would record, kept current by inotify instead of re-walking the
// tree for every build. Asking it costs one drain of the inotify queue plus the work of the
// changes since the last ask: independent of the tree's size.
//
// Why it can be trusted: each kept dir is watched before it is read, so a change after the read
// produces an event and a change before it is in the read; every event makes the view lstat the
// path again (the event says where to look, the file system says what is there), so it never
// depends on event order or on interpreting what an event meant. What it cannot see, it does
// not pretend to: a queue overflow, the root itself moved or unmounted, or the watch limit make
// the view invalid, and the next ask rebuilds it with a full walk.
import { lstatSync, readdirSync, type Stats } from "node:fs";
import { isCargoFile } from "../../transfer/fingerprint.ts";
import type { Matcher } from "../../transfer/rules.ts";
import { TreeHash } from "../../transfer/treehash.ts";
import { DIR_MASK, IN, Inotify, WatchLimitError } from "./inotify.ts";

/** The four numbers the full scan records per entry (a dir: size −1, mtime 0, inode 0). */
export interface ViewEntry {
  size: number;
  mtimeMs: number;
  mode: number;
  ino: number;
}

export type Refresh =
  /** changed: paths (relative) added, changed or removed by this refresh. */
  | { kind: "current"; changed: number }
  /** The view was rebuilt by a full walk; `why` names what made it necessary. */
  | { kind: "rebuilt"; why: string }
  /** No view can be kept (watch limit): use full scans. */
  | { kind: "unavailable"; why: string };

const entryOf = (st: Stats, isDir: boolean): ViewEntry =>
  isDir
    ? { size: -1, mtimeMs: 0, mode: st.mode, ino: 0 }
    : { size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, ino: st.ino };

const same = (a: ViewEntry, b: ViewEntry) =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.mode === b.mode && a.ino === b.ino;

const parentOf = (rel: string) => {
  const i = rel.lastIndexOf("/");
  return i === -1 ? "" : rel.slice(0, i);
};

/** What changed since an earlier state of the view: the current stat of each changed path
 * (`created`: it did not exist then, or had another file type), and the paths gone since (only
 * the top of a removed subtree). */
export interface Delta {
  changed: { path: string; entry: ViewEntry; created: boolean }[];
  removed: string[];
}

/** Beyond this many journal records the older half is dropped: asks older than that rescan. */
const JOURNAL_MAX = 200_000;

const S_IFMT = 0o170000;

/** Entries read between two yields to the event loop during a rebuild (~10 ms of walking). */
const WALK_SLICE = 2000;

export class TreeView {
  readonly entries = new Map<string, ViewEntry>();
  /** The full scan's fingerprint of the view, kept current entry by entry. */
  private hash = new TreeHash();
  /** Cargo.toml and .cargo/config(.toml) paths in the view (the cargo-path check). */
  readonly cargoFiles = new Set<string>();
  /** A new epoch per rebuild: a state (epoch, gen) names one tree state of one live view. */
  epoch = "";
  /** Bumped by every refresh that changed something. */
  gen = 0;
  /** Every change since the last rebuild, oldest first: path, the gen it was made in, and
   * whether the path was created (or changed file type) by it. */
  private jPath: string[] = [];
  private jGen: number[] = [];
  private jNew: boolean[] = [];
  /** Deltas since a gen below this are no longer known. */
  private floor = 0;
  private recording = false;
  /** During a rebuild: dirs still to read (breadth first), instead of recursing. */
  private deferred: string[] | undefined;
  /** The rebuild in progress: asks wait for it rather than read a half-built view. */
  private building: Promise<void> | undefined;
  /** Names of each kept dir's kept entries ("" is the root). */
  private readonly children = new Map<string, Set<string>>();
  private readonly dirOfWd = new Map<number, string>();
  private readonly wdOfDir = new Map<string, number>();
  private ino!: Inotify;
  /** Set when the view no longer mirrors the tree: the next refresh rebuilds it. */
  private broken: string | undefined;
  private unavailable: string | undefined;
  /** Paths touched by the refresh in progress. */
  private touched = new Set<string>();

  private constructor(
    readonly root: string,
    private readonly keep: Matcher,
  ) {}

  static async open(root: string, keep: Matcher): Promise<TreeView> {
    const v = new TreeView(root, keep);
    await v.rebuildOnce();
    return v;
  }

  /** Brings the view up to date with every change made before this call. */
  async refresh(): Promise<Refresh> {
    while (this.building !== undefined) await this.building;
    if (this.unavailable) return { kind: "unavailable", why: this.unavailable };
    if (!this.broken) {
      this.touched = new Set();
      try {
        for (const e of this.ino.drain()) this.apply(e.wd, e.mask, e.name);
      } catch (e) {
        this.broken = e instanceof WatchLimitError ? e.message : `inotify: ${(e as Error).message}`;
      }
    }
    if (this.broken) {
      const why = this.broken;
      await this.rebuildOnce();
      return this.unavailable ? { kind: "unavailable", why: this.unavailable } : { kind: "rebuilt", why };
    }
    if (this.touched.size) this.gen++;
    return { kind: "current", changed: this.touched.size };
  }

  /** The fingerprint scanTree would compute for the tree as of the last refresh. */
  fingerprint(): string {
    return this.hash.hex();
  }

  /** What changed since state (epoch, gen); undefined when that state is not known here (another
   * epoch, older than the journal) or more than `max` paths changed. */
  since(epoch: string, gen: number, max: number): Delta | undefined {
    if (epoch !== this.epoch || gen < this.floor || gen > this.gen) return undefined;
    const created = new Map<string, boolean>();
    for (let i = this.jPath.length - 1; i >= 0 && this.jGen[i]! > gen; i--) {
      const p = this.jPath[i]!;
      created.set(p, (created.get(p) ?? false) || this.jNew[i]!);
      if (created.size > max) return undefined;
    }
    const d: Delta = { changed: [], removed: [] };
    const gone = new Set<string>();
    for (const [path, isNew] of created) {
      const entry = this.entries.get(path);
      if (entry) d.changed.push({ path, entry, created: isNew });
      else gone.add(path);
    }
    for (const p of gone) {
      let up = parentOf(p);
      while (up && !gone.has(up)) up = parentOf(up);
      if (!up) d.removed.push(p); // a removed dir takes its contents with it
    }
    return d;
  }

  private journal(rel: string, isNew: boolean): void {
    this.touched.add(rel);
    if (!this.recording) return;
    this.jPath.push(rel);
    this.jGen.push(this.gen + 1);
    this.jNew.push(isNew);
    if (this.jPath.length > JOURNAL_MAX) {
      const cut = this.jPath.length >> 1;
      this.floor = this.jGen[cut - 1]!;
      this.jPath = this.jPath.slice(cut);
      this.jGen = this.jGen.slice(cut);
      this.jNew = this.jNew.slice(cut);
    }
  }

  /** The paths the last refresh added, changed or removed. */
  lastChanged(): ReadonlySet<string> {
    return this.touched;
  }

  /** The view in the full scan's walk order (each dir's names sorted, a dir followed by its
   * contents): the same paths and numbers as scanTree's `raw`. O(n log n): for a full answer
   * (a first sync), never for a build that asks what changed. */
  ordered(): { paths: string[]; nums: Float64Array } {
    const paths: string[] = [];
    const nums = new Float64Array(4 * this.entries.size);
    const visit = (dir: string) => {
      for (const name of [...(this.children.get(dir) ?? [])].sort()) {
        const rel = dir ? `${dir}/${name}` : name;
        const e = this.entries.get(rel)!;
        const o = 4 * paths.length;
        paths.push(rel);
        nums[o] = e.size;
        nums[o + 1] = e.mtimeMs;
        nums[o + 2] = e.mode;
        nums[o + 3] = e.ino;
        if (e.size === -1) visit(rel);
      }
    };
    visit("");
    return { paths, nums };
  }

  /** Kept non-directory entries (the full scan's `files`). */
  get files(): number {
    return this.entries.size - this.children.size + 1; // every kept dir has a children set, the root too
  }

  /** Kept dirs watched now (each costs the user one of fs.inotify.max_user_watches). */
  get watches(): number {
    return this.wdOfDir.size;
  }

  close(): void {
    this.ino?.close();
  }

  private rebuildOnce(): Promise<void> {
    this.building ??= this.rebuild().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  private async rebuild(): Promise<void> {
    this.ino?.close();
    this.entries.clear();
    this.children.clear();
    this.dirOfWd.clear();
    this.wdOfDir.clear();
    this.broken = undefined;
    this.touched = new Set();
    this.hash = new TreeHash();
    this.cargoFiles.clear();
    this.epoch = crypto.randomUUID().slice(0, 8);
    this.gen = 0;
    this.floor = 0;
    this.jPath = [];
    this.jGen = [];
    this.jNew = [];
    this.recording = false; // a rebuild is a new epoch: nobody can ask what it changed
    this.ino = await Inotify.create();
    try {
      // Breadth first, yielding to the event loop every WALK_SLICE entries: a 200,000-entry walk
      // takes seconds, and rchd must keep answering selections meanwhile. Deferring a dir's read
      // is safe: it is watched when it is read, and its own appearance is its parent's event.
      const dirs = [""];
      this.deferred = dirs;
      let sliceEnd = this.entries.size + WALK_SLICE;
      for (let i = 0; i < dirs.length; i++) {
        this.sync(dirs[i]!);
        if (this.entries.size >= sliceEnd) {
          await new Promise((r) => setImmediate(r));
          sliceEnd = this.entries.size + WALK_SLICE;
        }
      }
      this.deferred = undefined;
      this.recording = true;
      this.touched = new Set();
    } catch (e) {
      this.deferred = undefined;
      if (!(e instanceof WatchLimitError)) throw e;
      this.unavailable = e.message;
      this.ino.close();
    }
  }

  /**
   * Watches `rel` (a kept dir, or the root), then reads it and brings every entry under it up to
   * date: see the header for why that order. The watch may be a new one: a dir removed and made
   * again under the same name (a checkout) is another dir, even when it got the old inode number,
   * which the kernel may hand out again as soon as the old dir is gone.
   */
  private sync(rel: string): void {
    const abs = rel ? `${this.root}/${rel}` : this.root;
    const wd = this.ino.add(abs, DIR_MASK);
    if (wd === undefined) return; // gone already: its parent's event removes it
    const old = this.wdOfDir.get(rel);
    if (old !== wd) {
      if (old !== undefined && this.dirOfWd.get(old) === rel) this.dirOfWd.delete(old);
      this.dirOfWd.set(wd, rel);
      this.wdOfDir.set(rel, wd);
    }
    let kids = this.children.get(rel);
    if (!kids) {
      kids = new Set();
      this.children.set(rel, kids);
    }
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      names = [];
    }
    const present = new Set(names);
    for (const name of [...kids]) if (!present.has(name)) this.remove(rel ? `${rel}/${name}` : name);
    for (const name of names) this.update(rel ? `${rel}/${name}` : name, name, true);
  }

  private apply(wd: number, mask: number, name: string): void {
    if (mask & IN.Q_OVERFLOW) {
      this.broken = "inotify queue overflowed (fs.inotify.max_queued_events)";
      return;
    }
    const dir = this.dirOfWd.get(wd);
    if (dir === undefined) return; // a watch already let go (its dir removed or moved away)
    if (name) {
      // An entry made, removed or moved: whatever now has that name may be a whole new tree.
      const structural = (mask & (IN.CREATE | IN.DELETE | IN.MOVED_FROM | IN.MOVED_TO)) !== 0;
      this.update(dir ? `${dir}/${name}` : name, name, structural);
      return;
    }
    // About the watched dir itself.
    if (dir === "" && mask & (IN.DELETE_SELF | IN.MOVE_SELF | IN.UNMOUNT | IN.IGNORED)) {
      this.broken = "the project dir was moved, removed or unmounted";
    } else if (mask & IN.IGNORED) {
      this.forget(wd, dir);
    } else if (dir !== "" && mask & IN.ATTRIB) {
      this.update(dir, dir.slice(dir.lastIndexOf("/") + 1), false);
    }
  }

  /** Looks at `rel` again and records what is there now; `deep`: a dir there is read again
   * whole (it may not be the dir the view knew). */
  private update(rel: string, name: string, deep: boolean): void {
    if (!this.children.has(parentOf(rel))) return; // its dir is not kept
    let st: Stats | undefined;
    try {
      st = lstatSync(`${this.root}/${rel}`);
    } catch {
      st = undefined;
    }
    const isDir = st?.isDirectory() ?? false;
    if (!st || !this.keep(rel, name, isDir)) {
      this.remove(rel);
      return;
    }
    const now = entryOf(st, isDir);
    let before = this.entries.get(rel);
    if (before && (before.size === -1) !== isDir) {
      this.remove(rel); // a file became a dir or the other way round
      before = undefined;
    }
    if (!before || !same(before, now)) {
      if (before) this.hash.remove(rel, before.size, before.mtimeMs, before.mode, before.ino);
      this.hash.add(rel, now.size, now.mtimeMs, now.mode, now.ino);
      this.entries.set(rel, now);
      this.children.get(parentOf(rel))!.add(name);
      if (!isDir && isCargoFile(parentOf(rel), name)) this.cargoFiles.add(rel);
      this.journal(rel, !before || (before.mode & S_IFMT) !== (now.mode & S_IFMT));
    }
    if (isDir && (!before || deep)) {
      if (this.deferred) this.deferred.push(rel);
      else this.sync(rel);
    }
  }

  private remove(rel: string): void {
    const before = this.entries.get(rel);
    if (!before) return;
    if (before.size === -1) {
      for (const child of this.children.get(rel) ?? []) this.remove(`${rel}/${child}`);
      this.children.delete(rel);
      const wd = this.wdOfDir.get(rel);
      if (wd !== undefined) {
        this.forget(wd, rel);
        this.ino.remove(wd);
      }
    }
    this.hash.remove(rel, before.size, before.mtimeMs, before.mode, before.ino);
    this.entries.delete(rel);
    this.cargoFiles.delete(rel);
    this.children.get(parentOf(rel))?.delete(rel.slice(rel.lastIndexOf("/") + 1));
    this.journal(rel, false);
  }

  private forget(wd: number, dir: string): void {
    if (this.dirOfWd.get(wd) === dir) this.dirOfWd.delete(wd);
    if (this.wdOfDir.get(dir) === wd) this.wdOfDir.delete(dir);
  }
}
