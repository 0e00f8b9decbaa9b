// Reading the small text files rch consults on the hook and `rch exec` paths (its config, a
// project's Cargo.toml or .rchignore, Claude Code's settings). Such a path may be anything: a
// FIFO blocks an open(2) for ever, a character device never ends, a directory is not text. Only a
// regular file of bounded size is read; the open never waits for a writer (O_NONBLOCK, which
// does not change how a regular file reads), and the type is checked on the open descriptor.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** Far above any real config or manifest; a file this big is not what rch is looking for. */
export const SMALL_FILE_MAX_BYTES = 4 << 20;

export type SmallFile =
  | { kind: "file"; bytes: Buffer }
  | { kind: "absent" }
  | { kind: "unreadable"; reason: string };

export function readSmallFile(path: string, maxBytes = SMALL_FILE_MAX_BYTES): SmallFile {
  const r = readBytes(path, maxBytes);
  if (r.kind !== "file") return r;
  return { kind: "file", bytes: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length) };
}

export type SmallTextFile =
  | { kind: "text"; text: string }
  | { kind: "absent" }
  | { kind: "unreadable"; reason: string };

/** The same file as UTF-8 text (a BOM kept, bad bytes replaced, as Buffer's toString does),
 * without touching Buffer: on the Gemini hook's build path this was Buffer's only use, and its
 * first use cost ~0.4 M instructions per hook run (callgrind, compiled rch). */
export function readSmallText(path: string, maxBytes = SMALL_FILE_MAX_BYTES): SmallTextFile {
  const r = readBytes(path, maxBytes);
  if (r.kind !== "file") return r;
  return { kind: "text", text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(r.bytes) };
}

type SmallBytes =
  | { kind: "file"; bytes: Uint8Array }
  | { kind: "absent" }
  | { kind: "unreadable"; reason: string };

function readBytes(path: string, maxBytes: number): SmallBytes {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
    return { kind: "unreadable", reason: (e as Error).message };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: "unreadable", reason: `not a regular file (${describe(st)})` };
    if (st.size > maxBytes) return { kind: "unreadable", reason: `larger than ${maxBytes} bytes` };
    const buf = new Uint8Array(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break; // shrank while we read: take what is there
      off += n;
    }
    return { kind: "file", bytes: buf.subarray(0, off) };
  } catch (e) {
    return { kind: "unreadable", reason: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** The bytes, or undefined for anything else (callers that treat "unreadable" as "absent"). */
export function smallBytes(path: string): Buffer | undefined {
  const f = readSmallFile(path);
  return f.kind === "file" ? f.bytes : undefined;
}

/** The text (UTF-8), or undefined for anything else. */
export function smallText(path: string): string | undefined {
  return smallBytes(path)?.toString("utf8");
}

function describe(st: import("node:fs").Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}
