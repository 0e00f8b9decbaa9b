// Requests waiting for a free slot, first come first served. When capacity appears (a release,
// an expired lease, a recovered or added worker) the queue is walked in arrival order and every
// waiter that can be placed now is; a waiter whose allowed workers are all still busy does not
// block a later one that may use a different worker.

export interface Waiter {
  /** Tries to place the waiter; true when it got a slot (it is then removed). */
  tryPlace(): boolean;
  /** Called once when the wait ends without a slot. */
  onTimeout(): void;
}

interface Entry {
  waiter: Waiter;
  timer: ReturnType<typeof setTimeout>;
}

export class WaitQueue {
  private entries: Entry[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Enqueues (at the head when `front`); returns a cancel function (for a client that
   * disconnects while waiting). */
  add(waiter: Waiter, waitMs: number, front = false): () => void {
    const entry: Entry = {
      waiter,
      timer: setTimeout(() => {
        if (this.remove(entry)) waiter.onTimeout();
      }, waitMs),
    };
    if (front) this.entries.unshift(entry);
    else this.entries.push(entry);
    return () => {
      if (this.remove(entry)) clearTimeout(entry.timer);
    };
  }

  serve(): void {
    for (const entry of [...this.entries]) {
      if (!this.entries.includes(entry)) continue;
      if (entry.waiter.tryPlace()) {
        clearTimeout(entry.timer);
        this.remove(entry);
      }
    }
  }

  private remove(entry: Entry): boolean {
    const i = this.entries.indexOf(entry);
    if (i === -1) return false;
    this.entries.splice(i, 1);
    return true;
  }
}
