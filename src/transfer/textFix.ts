// Returned text files that name the remote copy (cargo dep-info, a regenerated build.ninja, a
// generated header…) get the local root instead, as a local build would have written them. The
// mtime is kept: build tools compare it, and the file's content is what was built, re-rooted.
import { closeSync, lstatSync, openSync, readFileSync, readSync, utimesSync, writeFileSync } from "node:fs";

const MAX_TEXT_BYTES = 8 * 1024 * 1024;

function looksBinary(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(8192);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).includes(0);
  } finally {
    closeSync(fd);
  }
}

/** Replaces every `from` with its `to` in a regular text file; true when the file changed. */
export function rerootTextFile(path: string, pairs: readonly (readonly [string, string])[]): boolean {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path); // never through a symlink: it may point anywhere
  } catch {
    return false;
  }
  if (!st.isFile() || st.size === 0 || st.size > MAX_TEXT_BYTES || looksBinary(path)) return false;
  const text = readFileSync(path, "latin1"); // byte-preserving: paths are replaced as bytes
  let out = text;
  // Longest first: the physical remote path may extend the logical one.
  for (const [from, to] of [...pairs].sort((a, b) => b[0].length - a[0].length)) {
    if (from && from !== to)
      out = out.split(Buffer.from(from).toString("latin1")).join(Buffer.from(to).toString("latin1"));
  }
  if (out === text) return false;
  writeFileSync(path, out, "latin1");
  utimesSync(path, st.atimeMs / 1000, st.mtimeMs / 1000);
  return true;
}
