// The remote script's stderr lines for rch: `\x1erch-locked-<nonce> <flock|none>` once it holds
// its slot and the copy's lock, `\x1erch-start-<nonce> <pgid>\t<dir>\t<physdir>[\tsame]` before the
// build and `\x1erch-exit-<nonce> <rc> <outputs> <newfiles>` after it, preceded by its notes on
// what the build left (`\x1erch-gone-<nonce> <path>`, `\x1erch-exe-<nonce> <b4> <b5> <b18> <b19>
// <path>`: see run.sh's header). The nonce makes them impossible to forge by accident. This splits
// them out of the stream; everything else is the build's
// stderr. Bytes before the start marker are the login shell's (kept for diagnostics).
import type { Sink } from "./rewrite.ts";

export interface StartInfo {
  pgid: number;
  /** Remote project dir as the script spelled it ($HOME expanded) and its physical path. */
  dir: string;
  physicalDir: string;
  /** The build runs at the local root itself (same-path mode; run.sh's 4th field "same"). */
  samePath?: true;
}

export interface EndInfo {
  exitCode: number;
  /** One letter per output dir: c = changed during the build, u = unchanged, m = missing. */
  outputs: string;
  /** The build created or changed in-tree files (a list waits on the worker). */
  newFiles: boolean;
  /** The list of new files could not be written: the worker's disk is full, or another error.
   * Whether the build made anything is then unknown. */
  listFailed?: "full" | "error";
  /** Files of the watched dirs the build deleted (relative to the copy). */
  gone: string[];
  /** Executable ELF files the build wrote in output dirs, with their header bytes. */
  executables: ElfNote[];
}

export interface ElfNote {
  path: string;
  /** EI_CLASS, EI_DATA, and e_machine's two bytes as stored. */
  ident: [number, number, number, number];
}

export interface DemuxEvents {
  /** The script holds its slot and the copy's lock (`true`), or the worker has no flock. */
  onLocked?(withFlock: boolean): void;
  onStart(info: StartInfo): void;
  onEnd(info: EndInfo): void;
}

export class StderrDemux {
  private buf: Buffer = Buffer.alloc(0);
  private state: "pre" | "run" | "done" = "pre";
  private readonly lockedTag: Buffer;
  private readonly startTag: Buffer;
  private readonly endTag: Buffer;
  private readonly goneTag: Buffer;
  private readonly exeTag: Buffer;
  private readonly gone: string[] = [];
  private readonly executables: ElfNote[] = [];
  /** stderr before the start marker (ssh warnings, login shell noise, script errors). */
  preamble = "";

  constructor(
    nonce: string,
    private readonly sink: Sink,
    private readonly events: DemuxEvents,
  ) {
    this.lockedTag = Buffer.from(`\x1erch-locked-${nonce} `);
    this.startTag = Buffer.from(`\x1erch-start-${nonce} `);
    this.endTag = Buffer.from(`\x1erch-exit-${nonce} `);
    this.goneTag = Buffer.from(`\x1erch-gone-${nonce} `);
    this.exeTag = Buffer.from(`\x1erch-exe-${nonce} `);
  }

  get started(): boolean {
    return this.state !== "pre";
  }

  get ended(): boolean {
    return this.state === "done";
  }

  write(chunk: Uint8Array): void {
    if (this.state === "done") {
      this.sink(chunk);
      return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    if (this.state === "pre") this.scanStart();
    if (this.state === "run") this.scanEnd();
  }

  /** End of stream: whatever is still held is build output (or preamble). */
  finish(): void {
    if (this.state === "pre") this.preamble += this.buf.toString();
    else if (this.buf.length) this.sink(this.buf);
    this.buf = Buffer.alloc(0);
  }

  private scanStart(): void {
    this.scanLocked();
    const at = this.buf.indexOf(this.startTag);
    if (at === -1) return;
    const nl = this.buf.indexOf(10, at);
    if (nl === -1) return;
    this.preamble += this.buf.subarray(0, at).toString();
    const [pgid, dir, physicalDir, mode] = this.buf
      .subarray(at + this.startTag.length, nl)
      .toString()
      .split("\t");
    this.buf = this.buf.subarray(nl + 1);
    this.state = "run";
    this.events.onStart({
      pgid: Number(pgid),
      dir: dir ?? "",
      physicalDir: physicalDir ?? dir ?? "",
      ...(mode === "same" ? { samePath: true as const } : {}),
    });
  }

  /** The locked line comes first, alone: cut it out of what will be the preamble. */
  private scanLocked(): void {
    const at = this.buf.indexOf(this.lockedTag);
    if (at === -1) return;
    const nl = this.buf.indexOf(10, at);
    if (nl === -1) return;
    const how = this.buf.subarray(at + this.lockedTag.length, nl).toString();
    this.buf = Buffer.concat([this.buf.subarray(0, at), this.buf.subarray(nl + 1)]);
    this.events.onLocked?.(how === "flock");
  }

  /** The earliest marker of the running phase in the buffer: a note or the end. */
  private nextTag(): { at: number; tag: Buffer } | undefined {
    let best: { at: number; tag: Buffer } | undefined;
    for (const tag of [this.endTag, this.goneTag, this.exeTag]) {
      const at = this.buf.indexOf(tag);
      if (at !== -1 && (!best || at < best.at)) best = { at, tag };
    }
    return best;
  }

  private note(tag: Buffer, text: string): void {
    if (tag === this.goneTag) {
      if (text) this.gone.push(text);
      return;
    }
    const m = /^(\d+) (\d+) (\d+) (\d+) (.+)$/.exec(text);
    if (m) this.executables.push({ path: m[5]!, ident: [+m[1]!, +m[2]!, +m[3]!, +m[4]!] });
  }

  private scanEnd(): void {
    for (let found = this.nextTag(); found; found = this.nextTag()) {
      const { at, tag } = found;
      const nl = this.buf.indexOf(10, at);
      if (at > 0) this.sink(this.buf.subarray(0, at));
      if (nl === -1) {
        this.buf = this.buf.subarray(at);
        return;
      }
      const text = this.buf.subarray(at + tag.length, nl).toString();
      const rest = this.buf.subarray(nl + 1);
      if (tag !== this.endTag) {
        this.note(tag, text);
        this.buf = rest;
        continue;
      }
      const [rc, outputs, nf] = text.split(" ");
      this.buf = Buffer.alloc(0);
      this.state = "done";
      const end: EndInfo = {
        exitCode: Number(rc),
        outputs: outputs === "-" ? "" : (outputs ?? ""),
        newFiles: nf === "1",
        gone: this.gone,
        executables: this.executables,
      };
      if (nf === "F" || nf === "E") end.listFailed = nf === "F" ? "full" : "error";
      this.events.onEnd(end);
      if (rest.length) this.sink(rest);
      return;
    }
    // Hold back a tail that could be the start of a marker; pass the rest through now.
    const keep = this.partialTail();
    if (keep < this.buf.length) {
      const out = this.buf.subarray(0, keep);
      this.buf = this.buf.subarray(keep);
      if (out.length) this.sink(out);
    } else {
      this.sink(this.buf);
      this.buf = Buffer.alloc(0);
    }
  }

  private partialTail(): number {
    const longest = Math.max(this.endTag.length, this.goneTag.length, this.exeTag.length);
    const from = Math.max(0, this.buf.length - longest + 1);
    for (let s = this.buf.indexOf(0x1e, from); s !== -1; s = this.buf.indexOf(0x1e, s + 1)) {
      const tail = this.buf.subarray(s);
      for (const tag of [this.endTag, this.goneTag, this.exeTag])
        if (tag.subarray(0, tail.length).equals(tail)) return s;
    }
    return this.buf.length;
  }
}
