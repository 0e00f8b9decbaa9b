// Newline-delimited JSON framing. A line longer than the limit is not buffered without bound: the
// decoder reports it once and skips to the next newline, so one bad client message costs one
// error reply, never the daemon's memory or the connection.

export const MAX_LINE_BYTES = 12 << 20; // an 8 MiB base64 output chunk plus its envelope

export type Frame = { kind: "line"; text: string } | { kind: "too_long"; bytes: number };

export class LineDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private skipped = 0;

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  /** Feeds bytes; returns the complete frames they finish. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl !== -1 && this.size === 0 && !this.skipping && nl - start <= this.maxBytes) {
        // The common case, a whole line inside one chunk: decode it in place, no copies.
        frames.push({ kind: "line", text: chunk.toString("utf8", start, nl) });
        start = nl + 1;
        continue;
      }
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) break;
      frames.push(this.finish());
      start = nl + 1;
    }
    return frames.filter((f) => f.kind === "too_long" || f.text.trim() !== "");
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping) {
      this.skipped += part.length;
      return;
    }
    if (this.size + part.length > this.maxBytes) {
      this.skipping = true;
      this.skipped = this.size + part.length;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(part);
    this.size += part.length;
  }

  private finish(): Frame {
    if (this.skipping) {
      const bytes = this.skipped;
      this.skipping = false;
      this.skipped = 0;
      return { kind: "too_long", bytes };
    }
    const text = Buffer.concat(this.parts, this.size).toString("utf8");
    this.parts = [];
    this.size = 0;
    return { kind: "line", text };
  }
}

export function encodeLine(msg: unknown): string {
  return `${JSON.stringify(msg)}\n`;
}
