// Garbage collection in the quiet moments between bursts of requests. Left alone, the JS engine
// collects whenever a few MB have been allocated, which under load means in the middle of a burst
// of selects, stalling every reply queued behind it by the pause (1–4 ms on a 2-vCPU VM). Once
// traffic has been quiet for a moment, a young-generation collection costs nobody anything and
// resets the engine's allocation budget, so the next burst starts with room to spare.
import { edenGC } from "bun:jsc";

export interface IdleCollectorOptions {
  /** Quiet this long counts as "between bursts". */
  quietMs?: number;
  /** Messages since the last collection before one is worth doing (a few hundred KB of garbage). */
  minMessages?: number;
  collect?: () => void;
}

export class IdleCollector {
  private messages = 0;
  private lastMessageAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly quietMs: number;
  private readonly minMessages: number;
  private readonly collect: () => void;

  constructor(o: IdleCollectorOptions = {}) {
    this.quietMs = o.quietMs ?? 5;
    this.minMessages = o.minMessages ?? 200;
    this.collect = o.collect ?? edenGC;
  }

  /** Called for every message received. */
  touch(): void {
    this.messages++;
    this.lastMessageAt = performance.now();
    this.timer ??= setTimeout(this.check, this.quietMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly check = (): void => {
    this.timer = undefined;
    const quietFor = performance.now() - this.lastMessageAt;
    if (quietFor < this.quietMs) {
      this.timer = setTimeout(this.check, this.quietMs - quietFor);
      return;
    }
    if (this.messages < this.minMessages) return; // the next message re-arms the check
    this.messages = 0;
    this.collect();
  };
}
