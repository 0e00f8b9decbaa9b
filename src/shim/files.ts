// What a file in the shim dir is: absent, one of rch's shims (and which rch it runs), or somebody
// else's. Only the head of a file is read, never following a symlink: a user's own `make` there,
// a symlink included, is never taken for rch's.
import { closeSync, constants, lstatSync, openSync, readSync } from "node:fs";
import * as v from "valibot";
import { BIN_HEADER, SHIM_HEADER } from "./wrapper.ts";

export type ShimFile =
  | { kind: "absent" }
  | { kind: "ours"; tool: string; rchArgv: string[] | undefined }
  | { kind: "foreign" };

const HEAD_BYTES = 4096;
const RchArgv = v.pipe(v.array(v.string()), v.minLength(1));

function readHead(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** The rch argv on a shim's second line, if it parses. */
function parseBin(line: string | undefined): string[] | undefined {
  if (!line?.startsWith(BIN_HEADER)) return undefined;
  try {
    const r = v.safeParse(RchArgv, JSON.parse(line.slice(BIN_HEADER.length)));
    return r.success ? r.output : undefined;
  } catch {
    return undefined;
  }
}

export function inspectShimFile(path: string): ShimFile {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return { kind: "absent" };
  }
  if (!st.isFile()) return { kind: "foreign" };
  let head: string;
  try {
    head = readHead(path);
  } catch {
    return { kind: "foreign" };
  }
  const lines = head.split("\n");
  const id = lines[1];
  if (lines[0] !== "#!/bin/sh" || !id?.startsWith(`${SHIM_HEADER} `)) return { kind: "foreign" };
  return { kind: "ours", tool: id.slice(SHIM_HEADER.length + 1), rchArgv: parseBin(lines[2]) };
}
