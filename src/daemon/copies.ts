// Who may build in a worker's copy of a project at the same time. A sync into a copy makes it the
// local tree — deleting what the local tree lacks — so a build whose outputs live in the tree
// (make, a compiler, cmake/ninja/meson build dirs, bun) must have the copy to itself: another
// build's sync would delete its fresh outputs, and its own outputs are collected as "files newer
// than its start", which would sweep up the other build's too. Such a build takes the copy
// exclusively. A build whose outputs live only in a directory the sync leaves alone (cargo's
// target dir, which cargo itself locks) takes it shared: any number of those run side by side.
// A leader that cannot have its copy waits in arrival order until it can, or its wait runs out.

export type CopyMode = "shared" | "exclusive";

export type CopyClaim = { kind: "held" } | { kind: "timeout" } | { kind: "gone" };

interface Waiter {
  leaseId: string;
  mode: CopyMode;
  settle(claim: CopyClaim): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Copy {
  mode: CopyMode;
  holders: Set<string>; // lease ids
  waiting: Waiter[];
}

export class CopyLocks {
  private readonly copies = new Map<string, Copy>();

  /** Takes the copy if that is possible right now (or this lease holds it already). */
  take(copy: string, leaseId: string, mode: CopyMode): boolean {
    const c = this.copies.get(copy);
    if (!c) {
      this.copies.set(copy, { mode, holders: new Set([leaseId]), waiting: [] });
      return true;
    }
    if (c.holders.has(leaseId)) return true;
    // Shared joins shared, unless an exclusive one is already waiting (it would starve).
    if (mode === "shared" && c.mode === "shared" && c.waiting.length === 0) {
      c.holders.add(leaseId);
      return true;
    }
    return false;
  }

  /** Could a lease take the copy in this mode right now? (selection: no side effects) */
  available(copy: string, mode: CopyMode): boolean {
    const c = this.copies.get(copy);
    return !c || (mode === "shared" && c.mode === "shared" && c.waiting.length === 0);
  }

  /** The copy for this lease at once (a value), or a promise that settles when it is this
   * lease's turn, after waitMs, or when the lease ends first. */
  acquire(copy: string, leaseId: string, mode: CopyMode, waitMs: number): CopyClaim | Promise<CopyClaim> {
    if (this.take(copy, leaseId, mode)) return { kind: "held" };
    if (waitMs <= 0) return { kind: "timeout" };
    const c = this.copies.get(copy)!;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        leaseId,
        mode,
        settle: resolve,
        timer: setTimeout(() => {
          c.waiting.splice(c.waiting.indexOf(waiter), 1);
          resolve({ kind: "timeout" });
          this.grantWaiting(copy, c); // a shared waiter behind it may fit now
        }, waitMs),
      };
      c.waiting.push(waiter);
    });
  }

  /** The lease ended: it lets go of its copy, or stops waiting for it. */
  leave(copy: string, leaseId: string): void {
    const c = this.copies.get(copy);
    if (!c) return;
    const i = c.waiting.findIndex((w) => w.leaseId === leaseId);
    if (i !== -1) {
      const [w] = c.waiting.splice(i, 1);
      clearTimeout(w!.timer);
      w!.settle({ kind: "gone" });
    } else if (!c.holders.delete(leaseId)) {
      return;
    }
    this.grantWaiting(copy, c);
  }

  /** Waiters first in line get the copy as far as the holders allow. */
  private grantWaiting(copy: string, c: Copy): void {
    if (c.holders.size === 0 && c.waiting.length === 0) {
      this.copies.delete(copy);
      return;
    }
    while (c.waiting.length > 0) {
      const next = c.waiting[0]!;
      const fits = c.holders.size === 0 || (next.mode === "shared" && c.mode === "shared");
      if (!fits) return;
      c.waiting.shift();
      clearTimeout(next.timer);
      if (c.holders.size === 0) c.mode = next.mode;
      c.holders.add(next.leaseId);
      next.settle({ kind: "held" });
      if (next.mode === "exclusive") return;
    }
  }

  /** Leases waiting for a copy (status). */
  get waiting(): number {
    let n = 0;
    for (const c of this.copies.values()) n += c.waiting.length;
    return n;
  }
}

export function copyKey(projectRoot: string, workerId: string): string {
  return `${workerId}\0${projectRoot}`;
}
