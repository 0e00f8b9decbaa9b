// Rewrites the remote project dir to the local root in a byte stream, across chunk boundaries:
// a chunk ending in a prefix of a remote path is held back until the next chunk decides. Held
// bytes are flushed after `maxHoldMs` so a prompt that ends in "/" is never stuck.
export type Sink = (chunk: Uint8Array) => void;

export class PathRewriter {
  private held: Buffer = Buffer.alloc(0);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pairs: { from: Buffer; to: Buffer }[] = [];
  private maxNeedle = 0;

  constructor(
    private readonly sink: Sink,
    private readonly maxHoldMs = 50,
  ) {}

  /** Sets what to replace; longer needles first so /a/b-phys wins over its prefix /a/b. */
  setPairs(pairs: readonly (readonly [from: string, to: string])[]): void {
    const seen = new Set<string>();
    this.pairs = pairs
      .filter(([from, to]) => from.length > 1 && from !== to && !seen.has(from) && seen.add(from))
      .sort((a, b) => b[0].length - a[0].length)
      .map(([from, to]) => ({ from: Buffer.from(from), to: Buffer.from(to) }));
    this.maxNeedle = Math.max(0, ...this.pairs.map((p) => p.from.length));
  }

  write(chunk: Uint8Array): void {
    if (this.pairs.length === 0 && this.held.length === 0) {
      this.sink(chunk);
      return;
    }
    this.clearTimer();
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : Buffer.from(chunk);
    const { out, keep } = this.replace(data);
    this.held = keep;
    if (out.length) this.sink(out);
    if (this.held.length) this.timer = setTimeout(() => this.flush(), this.maxHoldMs);
  }

  /** Emits whatever is held (end of stream, or the hold timed out). */
  flush(): void {
    this.clearTimer();
    if (this.held.length === 0) return;
    const rest = this.held;
    this.held = Buffer.alloc(0);
    this.sink(rest);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private replace(data: Buffer): { out: Buffer; keep: Buffer } {
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      let best = -1;
      let pair: (typeof this.pairs)[number] | undefined;
      for (const p of this.pairs) {
        const at = data.indexOf(p.from, pos);
        if (at !== -1 && (best === -1 || at < best)) {
          best = at;
          pair = p;
        }
      }
      if (best === -1 || !pair) break;
      parts.push(data.subarray(pos, best), pair.to);
      pos = best + pair.from.length;
    }
    const keepFrom = this.partialStart(data, pos);
    parts.push(data.subarray(pos, keepFrom));
    return { out: Buffer.concat(parts), keep: Buffer.from(data.subarray(keepFrom)) };
  }

  /** Start of the longest tail of data[pos..] that is a proper prefix of some needle. */
  private partialStart(data: Buffer, pos: number): number {
    const from = Math.max(pos, data.length - this.maxNeedle + 1);
    for (let s = from; s < data.length; s++) {
      const tail = data.subarray(s);
      if (this.pairs.some((p) => p.from.length > tail.length && p.from.subarray(0, tail.length).equals(tail)))
        return s;
    }
    return data.length;
  }
}
