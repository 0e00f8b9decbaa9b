// Who may build in a worker's copy of a project at the same time. A sync into a copy makes it the
// local tree — deleting what the local tree lacks — so a build whose outputs live in the tree
// (make, a compiler, cmake/ninja/meson build dirs, bun) must have the copy to itself: another
// build's sync would delete its fresh outputs, and its own outputs are collected as "files newer
// than its start", which would sweep up the other build's too. Such a build takes the copy
// exclusively. A build whose outputs live only in a directory the sync leaves alone (cargo's
// target dir, which cargo itself locks) takes it shared: any number of those run side by side.
// A leader that cannot have its copy waits in arrival order until it can, or its wait runs out.
//
// Every lease on a worker counts as using that worker's copy of its project (selection prefers
// copies nobody uses); only a leader holds it. State exists only while a copy is in use, in
// nested maps keyed by project and worker: selection looks here on every request.

export type CopyMode = "shared" | "exclusive";

export type CopyClaim = { kind: "held" } | { kind: "timeout" } | { kind: "gone" };

interface Waiter {
  leaseId: string;
  mode: CopyMode;
  settle(claim: CopyClaim): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Copy {
  /** Leases on this worker for this project (holders, waiters and not-yet-claimed ones). */
  leases: number;
  mode: CopyMode;
  holders: string[]; // lease ids
  waiting: Waiter[];
}

export class Copies {
  private readonly byProject = new Map<string, Map<string, Copy>>();

  /** Workers whose copy of this project some lease uses (undefined: none). */
  inUse(projectRoot: string): ReadonlyMap<string, unknown> | undefined {
    return this.byProject.get(projectRoot);
  }

  /** A lease on this worker was granted for this project. */
  use(projectRoot: string, workerId: string): void {
    this.copy(projectRoot, workerId).leases++;
  }

  /** The lease ended: it lets go of the copy (or stops waiting for it) and stops using it. */
  release(projectRoot: string, workerId: string, leaseId: string): void {
    const c = this.byProject.get(projectRoot)?.get(workerId);
    if (!c) return;
    c.leases--;
    const i = c.waiting.findIndex((w) => w.leaseId === leaseId);
    if (i !== -1) {
      const [w] = c.waiting.splice(i, 1);
      clearTimeout(w!.timer);
      w!.settle({ kind: "gone" });
    } else {
      const h = c.holders.indexOf(leaseId);
      if (h !== -1) c.holders.splice(h, 1);
    }
    this.grantWaiting(c);
    this.dropIfIdle(projectRoot, workerId, c);
  }

  /** Could a lease take the copy in this mode right now? (selection: no side effects) */
  available(projectRoot: string, workerId: string, mode: CopyMode): boolean {
    const c = this.byProject.get(projectRoot)?.get(workerId);
    return !c || c.holders.length === 0 || joinable(c, mode);
  }

  /** Takes the copy if that is possible right now (or this lease holds it already). */
  take(projectRoot: string, workerId: string, leaseId: string, mode: CopyMode): boolean {
    const c = this.copy(projectRoot, workerId);
    if (c.holders.includes(leaseId)) return true;
    if (c.holders.length > 0 && !joinable(c, mode)) return false;
    if (c.holders.length === 0) c.mode = mode;
    c.holders.push(leaseId);
    return true;
  }

  /** The copy for this lease at once (a value), or a promise that settles when it is this
   * lease's turn, after waitMs, or when the lease ends first. */
  acquire(
    projectRoot: string,
    workerId: string,
    leaseId: string,
    mode: CopyMode,
    waitMs: number,
  ): CopyClaim | Promise<CopyClaim> {
    if (this.take(projectRoot, workerId, leaseId, mode)) return { kind: "held" };
    if (waitMs <= 0) return { kind: "timeout" };
    const c = this.copy(projectRoot, workerId);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        leaseId,
        mode,
        settle: resolve,
        timer: setTimeout(() => {
          c.waiting.splice(c.waiting.indexOf(waiter), 1);
          resolve({ kind: "timeout" });
          this.grantWaiting(c); // a shared waiter behind it may fit now
        }, waitMs),
      };
      c.waiting.push(waiter);
    });
  }

  /** Leases waiting for a copy (status). */
  get waiting(): number {
    let n = 0;
    for (const workers of this.byProject.values()) for (const c of workers.values()) n += c.waiting.length;
    return n;
  }

  private copy(projectRoot: string, workerId: string): Copy {
    let workers = this.byProject.get(projectRoot);
    if (!workers) {
      workers = new Map();
      this.byProject.set(projectRoot, workers);
    }
    let c = workers.get(workerId);
    if (!c) {
      c = { leases: 0, mode: "exclusive", holders: [], waiting: [] };
      workers.set(workerId, c);
    }
    return c;
  }

  /** Waiters first in line get the copy as far as the holders allow. */
  private grantWaiting(c: Copy): void {
    while (c.waiting.length > 0) {
      const next = c.waiting[0]!;
      if (c.holders.length > 0 && !(next.mode === "shared" && c.mode === "shared")) return;
      c.waiting.shift();
      clearTimeout(next.timer);
      if (c.holders.length === 0) c.mode = next.mode;
      c.holders.push(next.leaseId);
      next.settle({ kind: "held" });
      if (next.mode === "exclusive") return;
    }
  }

  private dropIfIdle(projectRoot: string, workerId: string, c: Copy): void {
    if (c.leases > 0 || c.holders.length > 0 || c.waiting.length > 0) return;
    const workers = this.byProject.get(projectRoot)!;
    workers.delete(workerId);
    if (workers.size === 0) this.byProject.delete(projectRoot);
  }
}

/** Shared joins shared, unless an exclusive one is already waiting (it would starve). */
function joinable(c: Copy, mode: CopyMode): boolean {
  return mode === "shared" && c.mode === "shared" && c.waiting.length === 0;
}
