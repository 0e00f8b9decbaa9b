// This machine's C library, in the words src/worker/toolchains.sh prints for a worker's: `glibc
// 2.36`, `musl`, or undefined when neither can be told. rchd runs here, linked against it, so it
// asks its own runtime once (Bun's process report: ~3 ms the first time, measured here) instead of
// every `rch exec` spawning getconf; requests get it added to their toolchain need on arrival.
import { readFileSync } from "node:fs";

let known: string | undefined | null = null;

export function localLibc(): string | undefined {
  if (known !== null) return known;
  known = undefined;
  try {
    const header = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const v = header?.header?.glibcVersionRuntime;
    if (v) known = `glibc ${v}`;
    else if (/\/ld-musl-[^/\s]+$/m.test(readFileSync("/proc/self/maps", "utf8"))) known = "musl";
  } catch {
    // unknown: requests keep no libc, and every worker's is accepted, as before rch knew libcs
  }
  return known;
}
