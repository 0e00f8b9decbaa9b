// The worker programs as sent: each file without its comment-only and blank lines, which are
// for the people reading it. run.sh is 14.3 KB with them and 5.4 KB without (at the time of
// writing), sent and parsed on every build; dash spent ~0.2 ms less CPU per run on the shorter
// text (measured here). This is only safe because no line inside a multi-line string starts with
// `#` or is blank (test/worker checks that bash reads both texts as the same program).
//
// programs.ts calls sendableFile as a Bun macro: it runs when the bundle is made, and the binary
// holds only the results. Doing it at start-up cost ~4.8 M instructions (callgrind, compiled
// stub) in every `rch exec`, for nine programs most runs never send.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function sendable(program: string): string {
  return program
    .split("\n")
    .filter((line) => !/^\s*(#|$)/.test(line))
    .map((line) => `${line}\n`)
    .join("");
}

/** A program of this directory, by file name, as sent. */
export function sendableFile(name: string): string {
  return sendable(readFileSync(join(import.meta.dir, name), "utf8"));
}
