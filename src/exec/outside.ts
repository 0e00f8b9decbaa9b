// Does the command need files the sync will not carry? The worker only gets the project root, so
// a cargo path dependency or an argument pointing outside it would build against nothing (or
// against whatever the worker happens to have at that path): such builds run locally.
import { dirname, join, resolve } from "node:path";
import { smallText } from "../config/smallFile.ts";
import { isInsideDir } from "../transfer/inside.ts";

/** Paths every machine has: a compiler flag like -I/usr/include is not a project reference. */
const SYSTEM = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|etc|opt|dev|proc|sys|nix)(\/|$)/;

/** Flag lists hold several words: CFLAGS="-O2 -I/x", CARGO_ENCODED_RUSTFLAGS (0x1f-separated). */
const LIST_SEP = /[\s\x1f]+/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The path-looking part of a word: the word, or what follows `=` (in `--opt=` or `VAR=`) or a
 * short -I/-L style flag. A further `=` ends it: `--remap-path-prefix=/p=/src` names /p. */
function pathOf(word: string): string | undefined {
  const eq = word.indexOf("=");
  const candidate = word.startsWith("-")
    ? eq >= 0
      ? word.slice(eq + 1)
      : word.replace(/^-[A-Za-z]/, "")
    : ASSIGNMENT.test(word)
      ? word.slice(eq + 1)
      : word;
  const path = candidate.split("=")[0]!;
  return path.startsWith("/") || path.startsWith("../") || path === ".." ? path : undefined;
}

/** The first word of `words` naming something outside the project. */
function outsideIn(words: readonly string[], root: string, cwd: string): string | undefined {
  for (const word of words) {
    const p = pathOf(word);
    if (p === undefined || SYSTEM.test(p)) continue;
    if (!isInsideDir(root, resolve(cwd, p))) return word;
  }
  return undefined;
}

/** The first argument that names something outside the project, if any. A variable assignment
 * (`make "CFLAGS=-O2 -I/x"`) is read as a flag list; any other argument is one word. */
export function argOutsideRoot(args: readonly string[], root: string, cwd: string): string | undefined {
  for (const arg of args) {
    const words = ASSIGNMENT.test(arg) ? arg.split(LIST_SEP) : [arg];
    const word = outsideIn(words, root, cwd);
    if (word !== undefined) return word === arg ? arg : `${word} (in ${arg})`;
  }
  return undefined;
}

/** The first variable whose value names something outside the project: [name, the word]. */
export function envOutsideRoot(
  vars: Iterable<[string, string]>,
  root: string,
  cwd: string,
): [string, string] | undefined {
  for (const [name, value] of vars) {
    const word = outsideIn(value.split(LIST_SEP), root, cwd);
    if (word !== undefined) return [name, word];
  }
  return undefined;
}

const PATH_KEY = /\bpath\s*=\s*"([^"]+)"/g;

/** A cargo `path = "…"` (dependency, patch, workspace member) that leaves the project root. */
export function cargoPathOutsideRoot(root: string, cargoFiles: readonly string[]): string | undefined {
  for (const rel of cargoFiles) {
    const text = smallText(join(root, rel));
    if (text === undefined) continue;
    // Paths in .cargo/config.toml are relative to the dir holding .cargo; in a manifest, to its dir.
    const base = rel.endsWith("Cargo.toml") ? dirname(join(root, rel)) : dirname(dirname(join(root, rel)));
    for (const m of text.matchAll(PATH_KEY)) {
      const target = resolve(base, m[1]!);
      if (!isInsideDir(root, target)) return `${rel}: path = "${m[1]}"`;
    }
  }
  return undefined;
}
