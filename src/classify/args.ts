// Small helpers shared by the family rules: verdict constructors, word predicates, glob lists
// and a getopt-style parser for clustered short options (`-nj4`, `-Cdir`).

import { F_EXPANDS, F_GLOB, F_LEAD, F_SPLIT, type WordToken } from "./tokenize.ts";

/** What a family rule says about one command's arguments. confidence 0 = keep local. */
export interface RuleResult {
  confidence: number;
  reason: string;
}

export const local = (reason: string): RuleResult => ({ confidence: 0, reason });
export const offload = (confidence: number, reason: string): RuleResult => ({ confidence, reason });

/** The shell passes this word's value through unchanged (no expansion, glob or brace). */
export const known = (w: WordToken): boolean => (w.flags & (F_EXPANDS | F_GLOB)) === 0;

/**
 * The word may become something else at run time, including an option: it starts with an
 * expansion (`$ARGS`), or has an unquoted one that field splitting can turn into several words
 * (`-C $DIR` with DIR="x install").
 */
export const mayBeFlag = (w: WordToken): boolean => (w.flags & (F_LEAD | F_SPLIT | F_GLOB)) !== 0;

/** The word may become several words (unquoted expansion or glob); fine as an option's value otherwise. */
export const splits = (w: WordToken): boolean => (w.flags & (F_SPLIT | F_GLOB)) !== 0;

/** Shown in reasons; long values are cut so reasons stay one short line. */
export const show = (v: string): string => `'${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;

/**
 * Shell-style patterns (`install*`, `*-install`, `*snapshot*`) as one case-insensitive test of a
 * whole word. Plain string comparisons, not a RegExp: the 60-way alternation the make targets made
 * cost 2–4 ms to build and 1–3 ms more to compile on first use in the compiled rch (measured on
 * the hook's path, which runs it once per process).
 */
export function globList(patterns: readonly string[]): (word: string) => boolean {
  const split = patterns.map((p) => p.toLowerCase().split("*"));
  return (word) => {
    const w = word.toLowerCase();
    return split.some((parts) => globMatch(parts, w));
  };
}

/** `parts` is a pattern split on `*`: the word starts with the first, ends with the last, and
 * holds the middle ones in order, without overlaps. */
function globMatch(parts: readonly string[], w: string): boolean {
  const first = parts[0]!;
  if (parts.length === 1) return w === first;
  const last = parts[parts.length - 1]!;
  if (w.length < first.length + last.length || !w.startsWith(first) || !w.endsWith(last)) return false;
  let pos = first.length;
  const end = w.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = w.indexOf(parts[i]!, pos);
    if (at === -1 || at + parts[i]!.length > end) return false;
    pos = at + parts[i]!.length;
  }
  return true;
}

/** Which letters of a short-option cluster take a value, may take one, are plain, or keep it local. */
export interface ShortSpec {
  tool: string;
  /** Letters that need a value: attached (`-Cdir`) or the next word. */
  value: string;
  /** Letters with an optional numeric value: attached (`-j4`) or a next word of digits (`-j 4`). */
  numeric: string;
  /** Letters with an optional value that can only be attached (`-Oline`). */
  attached?: string;
  plain: string;
  /** Letters that keep the command local, with why. */
  local: Readonly<Record<string, string>>;
  /** Extra check of a value-taking letter's value; returns a reason to stay local. */
  checkValue?: (letter: string, value: string) => string | undefined;
}

const DIGITS = /^[0-9]+$/;

/** Parses the cluster at args[i]; returns the index after it (and its values) or a local verdict. */
export function shortCluster(args: readonly WordToken[], i: number, spec: ShortSpec): number | RuleResult {
  const v = args[i]!.value;
  for (let k = 1; k < v.length; k++) {
    const ch = v[k]!;
    const why = Object.hasOwn(spec.local, ch) ? spec.local[ch] : undefined;
    if (why !== undefined) return local(`${spec.tool}: -${ch} ${why}`);
    if (spec.value.includes(ch)) {
      let val = v.slice(k + 1);
      let next = i + 1;
      if (mayBeFlag(args[i]!)) return local(`${spec.tool}: ${show(v)} may split into several words`);
      if (val === "") {
        const w = args[i + 1];
        if (!w) return local(`${spec.tool}: -${ch} needs a value`);
        if (splits(w))
          return local(`${spec.tool}: value ${show(w.value)} of -${ch} may split into several words`);
        val = w.value;
        next = i + 2;
      }
      const bad = spec.checkValue?.(ch, val);
      return bad === undefined ? next : local(`${spec.tool}: ${bad}`);
    }
    if (spec.numeric.includes(ch)) {
      const rest = v.slice(k + 1);
      if (rest === "") return DIGITS.test(args[i + 1]?.value ?? "") ? i + 2 : i + 1;
      return DIGITS.test(rest) ? i + 1 : local(`${spec.tool}: bad number in ${show(v)}`);
    }
    if (spec.attached?.includes(ch)) return i + 1;
    if (!spec.plain.includes(ch)) return local(`${spec.tool}: unknown option -${ch} in ${show(v)}`);
  }
  return i + 1;
}

/** Long options a tool accepts: needing a value, plain, or with an optional `=value`. */
export interface LongSpec {
  value: ReadonlySet<string>;
  flag: ReadonlySet<string>;
  optional?: ReadonlySet<string>;
}

/** Parses `--name=value` / `--name value` / `--name` at args[i]; returns the next index or a local verdict. */
export function longOption(
  args: readonly WordToken[],
  i: number,
  spec: LongSpec,
  tool: string,
): number | RuleResult {
  const w = args[i]!;
  const v = w.value;
  const eq = v.indexOf("=");
  const name = eq < 0 ? v : v.slice(0, eq);
  const unknown = local(`${tool}: unknown option ${show(v)}`);
  if (mayBeFlag(w)) return local(`${tool}: ${show(v)} may split into several words`);
  if (spec.value.has(name)) {
    if (eq >= 0) return i + 1;
    const value = args[i + 1];
    if (!value) return local(`${tool}: ${name} needs a value`);
    if (splits(value))
      return local(`${tool}: value ${show(value.value)} of ${name} may split into several words`);
    return i + 2;
  }
  if (spec.flag.has(name)) return eq < 0 ? i + 1 : unknown;
  if (spec.optional?.has(name)) return i + 1;
  return unknown;
}
