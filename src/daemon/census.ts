// What the daemon knows about the copies on each worker, from the last census or GC there (gc.sh's
// rows): sizes, owners, last use. Admission asks it whether a project's copy is already on a
// worker (then a build needs no room for a new one) and how big the project's copies are.
import type { GcCopy, GcReport } from "../ssh/gcOutput.ts";

export interface WorkerCensus {
  /** When it was taken (daemon clock, ms). */
  at: number;
  /** Everything rch keeps under remote_root, kB (after the GC when it was one). */
  usageKb: number;
  copies: GcCopy[];
  /** "<project>" and "<project>\0<client>" of every copy: admission looks here on each select. */
  keys: Set<string>;
}

export class Census {
  private readonly byWorker = new Map<string, WorkerCensus>();
  /** Largest copy per project path over all workers' censuses: the size a new copy will likely
   * reach. Rebuilt on each ingest, so it holds only projects some worker still has. */
  private sizes = new Map<string, number>();

  /** Takes a census or GC report: copies a run removed are gone, trimmed ones smaller. */
  ingest(workerId: string, r: GcReport, at: number): void {
    const ran = r.mode === "run";
    const copies = r.copies
      .filter((c) => !(ran && c.action === "remove"))
      .map((c) => (ran && c.action === "trim" ? { ...c, sizeKb: c.sizeKb - c.freedKb } : c));
    const end = r.end;
    const usageKb = end
      ? ran
        ? end.usageAfterKb
        : end.usageBeforeKb
      : copies.reduce((n, c) => n + c.sizeKb, 0);
    const keys = new Set<string>();
    for (const c of copies) {
      const p = c.stamp.project;
      if (p === undefined) continue;
      keys.add(p);
      if (c.stamp.client !== undefined) keys.add(`${p}\0${c.stamp.client}`);
    }
    this.byWorker.set(workerId, { at, usageKb, copies, keys });
    this.resize();
  }

  private resize(): void {
    const sizes = new Map<string, number>();
    for (const w of this.byWorker.values()) {
      for (const c of w.copies) {
        const p = c.stamp.project;
        if (p !== undefined && c.sizeKb > (sizes.get(p) ?? 0)) sizes.set(p, c.sizeKb);
      }
    }
    this.sizes = sizes;
  }

  get(workerId: string): WorkerCensus | undefined {
    return this.byWorker.get(workerId);
  }

  forget(workerId: string): void {
    if (this.byWorker.delete(workerId)) this.resize();
  }

  /** Does the worker hold a copy of this project (this workstation's, when its id is known)? */
  has(workerId: string, project: string, clientId: string | undefined): boolean {
    const keys = this.byWorker.get(workerId)?.keys;
    return !!keys && keys.has(clientId === undefined ? project : `${project}\0${clientId}`);
  }

  /** The largest copy of this project any census saw, kB. */
  sizeOf(project: string): number | undefined {
    return this.sizes.get(project);
  }
}
