// Each worker's copy of a project serves one leading build at a time. A sync into a copy makes it
// the local tree — deleting what the local tree lacks, such as another build's fresh outputs —
// and in-tree outputs are found as "files newer than the build's start", so two different builds
// sharing a copy could break or cross-contaminate each other. A job that leads (its claim found
// nothing identical to follow) takes its copy here; a second leader for the same copy waits, in
// arrival order, until the first one's lease ends or its wait runs out.

interface Waiter {
  leaseId: string;
  settle(claim: CopyClaim): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Copy {
  holder: string; // lease id
  waiting: Waiter[];
}

export type CopyClaim = { kind: "held" } | { kind: "timeout" } | { kind: "gone" };

export class CopyLocks {
  private readonly copies = new Map<string, Copy>();

  /** Takes the copy if it is free (or already this lease's); false when another lease holds it. */
  take(copy: string, leaseId: string): boolean {
    const c = this.copies.get(copy);
    if (c) return c.holder === leaseId;
    this.copies.set(copy, { holder: leaseId, waiting: [] });
    return true;
  }

  /** The copy for this lease at once (a value), or a promise that settles when it is this
   * lease's turn or after waitMs. */
  acquire(copy: string, leaseId: string, waitMs: number): CopyClaim | Promise<CopyClaim> {
    if (this.take(copy, leaseId)) return { kind: "held" };
    const c = this.copies.get(copy)!;
    if (waitMs <= 0) return { kind: "timeout" };
    return new Promise((resolve) => {
      const waiter: Waiter = {
        leaseId,
        settle: resolve,
        timer: setTimeout(() => {
          c.waiting.splice(c.waiting.indexOf(waiter), 1);
          resolve({ kind: "timeout" });
        }, waitMs),
      };
      c.waiting.push(waiter);
    });
  }

  /** The lease ended: it gives its copy to the next waiter, or stops waiting for one. */
  leave(copy: string, leaseId: string): void {
    const c = this.copies.get(copy);
    if (!c) return;
    const i = c.waiting.findIndex((w) => w.leaseId === leaseId);
    if (i !== -1) {
      const [w] = c.waiting.splice(i, 1);
      clearTimeout(w!.timer);
      w!.settle({ kind: "gone" });
      return;
    }
    if (c.holder !== leaseId) return;
    const next = c.waiting.shift();
    if (!next) {
      this.copies.delete(copy);
      return;
    }
    clearTimeout(next.timer);
    c.holder = next.leaseId;
    next.settle({ kind: "held" });
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
