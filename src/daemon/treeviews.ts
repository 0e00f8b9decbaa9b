// rchd's live views of project trees (treeview/view.ts), one per (project root, sync rules):
// opened by the first build that asks (in the background: that build scans for itself), dropped
// after an idle spell, at most MAX_VIEWS at once (the least recently asked goes). A tree on a
// network file system gets none: inotify sees only this machine's own changes there.
import { statfsSync } from "node:fs";
import { compileRules, type FilterRule } from "../transfer/rules.ts";
import { TreeView } from "./treeview/view.ts";

/** Each view of a 200,000-file tree holds ~100 MiB (measured: BENCHMARKS.md). */
const MAX_VIEWS = 4;
const IDLE_MS = 30 * 60_000;

/** statfs f_type of file systems whose changes may come from elsewhere. */
const REMOTE_FS = new Set([
  0x6969 /* nfs */, 0xff534d42 /* cifs */, 0xfe534d42 /* smb2 */, 0x517b /* smb */, 0x01021997 /* 9p */,
  0x65735546 /* fuse */, 0x73757245 /* coda */, 0x5346414f /* afs */, 0x47504653 /* gpfs */,
  0x00c36400 /* ceph */,
]);

type Slot = { view?: TreeView; opening?: Promise<void>; failed?: string; failedAt?: number; used: number };

/** A view that could not be kept (watch limit, an error) is tried again after this. */
const RETRY_MS = 10 * 60_000;

export type ViewAsk = { kind: "ready"; view: TreeView } | { kind: "unavailable"; why: string };

export class TreeViews {
  private readonly slots = new Map<string, Slot>();
  private readonly sweep: ReturnType<typeof setInterval>;

  constructor(private readonly log: (m: string) => void = () => {}) {
    this.sweep = setInterval(() => this.dropIdle(Date.now()), 60_000);
    this.sweep.unref?.();
  }

  /** The view of `root` under `rules`, brought up to date with every change made before this
   * call; or why there is none (yet). */
  async ask(root: string, rules: readonly FilterRule[]): Promise<ViewAsk> {
    const key = JSON.stringify([root, rules]);
    let slot = this.slots.get(key);
    if (slot?.failed && slot.failedAt === undefined) slot.failedAt = Date.now();
    if (slot?.failed && Date.now() - slot.failedAt! > RETRY_MS) {
      this.slots.delete(key);
      slot = undefined;
    }
    if (!slot) {
      slot = { used: Date.now() };
      this.slots.set(key, slot);
      this.evict();
      this.open(slot, root, rules);
      return { kind: "unavailable", why: "the live view is being built" };
    }
    slot.used = Date.now();
    if (slot.failed) return { kind: "unavailable", why: slot.failed };
    if (!slot.view) return { kind: "unavailable", why: "the live view is being built" };
    const r = await slot.view.refresh();
    if (r.kind === "unavailable") {
      slot.failed = r.why;
      slot.view.close();
      slot.view = undefined;
      return { kind: "unavailable", why: r.why };
    }
    if (r.kind === "rebuilt") this.log(`tree view of ${root} rebuilt: ${r.why}`);
    return { kind: "ready", view: slot.view };
  }

  get size(): number {
    return this.slots.size;
  }

  close(): void {
    clearInterval(this.sweep);
    for (const s of this.slots.values()) s.view?.close();
    this.slots.clear();
  }

  private open(slot: Slot, root: string, rules: readonly FilterRule[]): void {
    try {
      const type = Number(statfsSync(root).type);
      if (REMOTE_FS.has(type)) {
        slot.failed = `a network file system (type 0x${type.toString(16)}): changes made elsewhere are not seen`;
        return;
      }
    } catch (e) {
      slot.failed = `statfs failed: ${(e as Error).message}`;
      return;
    }
    slot.opening = TreeView.open(root, compileRules(rules)).then(
      (view) => {
        if ([...this.slots.values()].includes(slot)) slot.view = view;
        else view.close(); // evicted while it was being built
      },
      (e) => {
        slot.failed = `the live view failed: ${(e as Error).message}`;
      },
    );
  }

  private evict(): void {
    while (this.slots.size > MAX_VIEWS) {
      let oldest: string | undefined;
      for (const [k, s] of this.slots) if (!oldest || s.used < this.slots.get(oldest)!.used) oldest = k;
      this.slots.get(oldest!)!.view?.close();
      this.slots.delete(oldest!);
    }
  }

  private dropIdle(now: number): void {
    for (const [k, s] of this.slots) {
      if (now - s.used < IDLE_MS) continue;
      s.view?.close();
      this.slots.delete(k);
    }
  }
}
