// What may stand before the command word of an offloadable command: NAME=value assignments and
// the transparent wrappers time / nice / timeout / env (also by absolute path). Each wrapper only
// accepts the options listed here; anything else in front keeps the command local.

import { basename, type Item, isAssignment, isWord } from "./structure.ts";
import { F_GLOB, F_SPLIT, F_TILDE, type WordToken } from "./tokenize.ts";

/**
 * A leading assignment becomes an argument of `rch exec` after the rewrite, and the shell expands
 * arguments differently: it field-splits `$X`, globs and brace-expands, and (dash) leaves `~` after
 * `=` alone. Assignments that use any of these keep the command local.
 */
const ASSIGNMENT_ONLY_EXPANSIONS = F_SPLIT | F_GLOB | F_TILDE;

export type PrefixResult =
  /**
   * `spanIndex`: first item of the rewritten span. time/nice/timeout stay in front of `rch exec`
   * in the local shell — bash's `time` keyword then times it, and timeout's signal and exit code
   * reach it exactly as they would have reached the build.
   */
  | { ok: true; cmdIndex: number; spanIndex: number; assignments: WordToken[] }
  | { ok: false; reason: string; at: number };

/** Consumes a wrapper's options starting at `i` (just past its name); returns the next index or why not. */
type WrapperParser = (items: readonly Item[], i: number) => number | string;

const INT = /^[+-]?[0-9]+$/;
const DURATION = /^([0-9]+\.?[0-9]*|\.[0-9]+)[smhd]?$/;
const SIGNAL = /^[A-Za-z0-9+-]+$/;

/** The literal value of word `i`, or undefined when it is not a plain word. */
function lit(items: readonly Item[], i: number): string | undefined {
  const it = items[i];
  return it && isWord(it) && it.flags === 0 ? it.value : undefined;
}

const parseTime: WrapperParser = (items, i) => (lit(items, i) === "-p" ? i + 1 : i);

const parseNice: WrapperParser = (items, i) => {
  const a = lit(items, i);
  if (a === "-n") return INT.test(lit(items, i + 1) ?? "") ? i + 2 : "nice: -n needs a number";
  if (a?.startsWith("-n") && INT.test(a.slice(2))) return i + 1;
  if (a?.startsWith("-")) return `nice: option '${a}' is not understood`;
  return i;
};

const TIMEOUT_FLAGS = new Set(["--preserve-status", "--foreground", "-v", "--verbose"]);
const TIMEOUT_VALUED = /^(-s|--signal=|-k|--kill-after=)(.*)$/;

const parseTimeout: WrapperParser = (items, i) => {
  for (;;) {
    const a = lit(items, i);
    if (a === undefined) return "timeout: duration is not a plain word";
    if (TIMEOUT_FLAGS.has(a)) {
      i++;
      continue;
    }
    const m = TIMEOUT_VALUED.exec(a);
    if (m) {
      const opt = m[1]!;
      let v = m[2]!;
      if (v === "" && (opt === "-s" || opt === "-k")) v = lit(items, ++i) ?? "";
      const signal = opt === "-s" || opt === "--signal=";
      if (!(signal ? SIGNAL : DURATION).test(v)) return `timeout: bad value for ${opt}`;
      i++;
      continue;
    }
    if (DURATION.test(a)) return i + 1;
    return `timeout: option '${a}' is not understood`;
  }
};

/** env: only NAME=value words, no flags at all (-i, -u, -C, -S and -- change what runs). */
function parseEnv(items: readonly Item[], i: number, line: string, out: WordToken[]): number | string {
  for (;;) {
    const it = items[i];
    if (!it || !isWord(it)) return i;
    if (isAssignment(it, line)) {
      out.push(it);
      i++;
    } else if (it.value.startsWith("-")) return `env: option '${it.value}' is not transparent`;
    else return i;
  }
}

const WRAPPERS: Record<string, WrapperParser | "env"> = {
  time: parseTime,
  nice: parseNice,
  timeout: parseTimeout,
  env: "env",
};

/** Name a plain command word resolves to: exact, or basename of an absolute path. */
export function commandName(w: WordToken): string | undefined {
  if (w.flags !== 0) return undefined;
  const v = w.value;
  if (v.charCodeAt(0) === 47 /* / */) return basename(v);
  return v.includes("/") ? undefined : v;
}

export function analyzePrefix(items: readonly Item[], line: string): PrefixResult {
  const assignments: WordToken[] = [];
  let i = 0;
  let spanIndex = 0;
  for (;;) {
    const it = items[i];
    if (!it) return { ok: false, reason: "no command word after the assignments and wrappers", at: i };
    if (!isWord(it)) return { ok: false, reason: "redirection before the command word", at: i };
    if (assignments.length === i && isAssignment(it, line)) {
      // Leading assignments (before any wrapper) belong to the shell.
      if (it.flags & ASSIGNMENT_ONLY_EXPANSIONS) {
        return {
          ok: false,
          reason: `assignment ${line.slice(it.start, it.end)} would expand differently`,
          at: i,
        };
      }
      assignments.push(it);
      i++;
      continue;
    }
    const name = commandName(it);
    const parser = name !== undefined && Object.hasOwn(WRAPPERS, name) ? WRAPPERS[name] : undefined;
    if (parser === undefined) return { ok: true, cmdIndex: i, spanIndex, assignments };
    if (parser !== "env" && assignments.length > 0) {
      // `A=1 time cargo` runs the time *program* with A set; the span would lose the assignment.
      return { ok: false, reason: `assignment before wrapper '${name}'`, at: i };
    }
    const next = parser === "env" ? parseEnv(items, i + 1, line, assignments) : parser(items, i + 1);
    if (typeof next === "string") return { ok: false, reason: next, at: i };
    i = next;
    if (parser !== "env") spanIndex = i;
  }
}
