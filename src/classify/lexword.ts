// Lexes one shell word: quote removal, escapes, parameter expansions, and flags that tell the
// rules how much of the word's run-time value is known. Never throws; refuses what it cannot model.

/** The word contains quotes or backslash escapes (its text is not its value). */
export const F_QUOTED = 1;
/** The word contains a parameter expansion or a leading `~`: its value is only known at run time. */
export const F_EXPANDS = 2;
/** The word contains unquoted glob or brace characters (`* ? [ { }`): the shell may rewrite it. */
export const F_GLOB = 4;
/** The value's first character comes from an expansion, so it might start with `-`. */
export const F_LEAD = 8;
/** The word has an unquoted expansion: field splitting may turn it into several words. */
export const F_SPLIT = 16;
/** The word has an unquoted `~` (expanded after `=` or `:` in assignments, not in arguments). */
export const F_TILDE = 32;

export interface WordToken {
  type: "word";
  start: number;
  end: number;
  /** Value after quote removal; expansions are kept as their source text. */
  value: string;
  flags: number;
}

export type Fail = { ok: false; reason: string };
export const fail = (reason: string): Fail => ({ ok: false, reason });

export const SPACE = 32;
export const TAB = 9;

/** Characters that end an unquoted word. Only space and tab separate words, as in sh. */
export function isMeta(c: number): boolean {
  // ; & | < > ( )
  return c === 59 || c === 38 || c === 124 || c === 60 || c === 62 || c === 40 || c === 41;
}

const NAME_START = /[A-Za-z_]/;
const NAME_REST = /[A-Za-z0-9_]/;
const SPECIAL_PARAM = /[0-9@*#?$!-]/;
// Inside ${…} we accept only plain parameter-expansion text; quotes, blanks or operators there
// are parsed differently by different shells, so such lines stay local.
const BRACE_PARAM = /\$\{[^'"\\ \t;&|<>(){}`]*\}/y;

type WordResult = { ok: true; word: WordToken } | Fail;

/** One word starting at `start` (not a blank, not an operator character). */
export function lexWord(line: string, start: number): WordResult {
  const n = line.length;
  let value = "";
  let flags = 0;
  let seg = start; // start of the not-yet-copied literal run
  let i = start;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === SPACE || c === TAB || isMeta(c)) break;
    if (c === 39 /* ' */) {
      value += line.slice(seg, i);
      const close = line.indexOf("'", i + 1);
      if (close < 0) return fail("unterminated single quote");
      value += line.slice(i + 1, close);
      flags |= F_QUOTED;
      i = seg = close + 1;
    } else if (c === 34 /* " */) {
      value += line.slice(seg, i);
      const r = lexDouble(line, i + 1, value.length === 0);
      if (!r.ok) return r;
      value += r.value;
      flags |= F_QUOTED | r.flags;
      i = seg = r.end;
    } else if (c === 92 /* \ */) {
      if (i + 1 >= n) return fail("backslash at end of line");
      value += line.slice(seg, i) + line[i + 1];
      flags |= F_QUOTED;
      i = seg = i + 2;
    } else if (c === 36 /* $ */) {
      value += line.slice(seg, i);
      const r = lexDollar(line, i, value.length === 0, false);
      if (!r.ok) return r;
      value += line.slice(i, r.end);
      flags |= r.flags;
      i = seg = r.end;
    } else {
      // * ? [ glob; { } brace expansion (bash, zsh); ~ at word start: tilde expansion.
      if (c === 42 || c === 63 || c === 91 || c === 123 || c === 125) flags |= F_GLOB;
      else if (c === 126) flags |= i === start ? F_EXPANDS | F_LEAD | F_TILDE : F_TILDE;
      i++;
    }
  }
  value += line.slice(seg, i);
  return { ok: true, word: { type: "word", start, end: i, value, flags } };
}

type PartResult = { ok: true; end: number; flags: number; value: string } | Fail;

/** Inside "…": backslash escapes only $ ` " \ (and newline, which never gets here). */
function lexDouble(line: string, from: number, atStart: boolean): PartResult {
  let value = "";
  let flags = 0;
  let seg = from;
  let i = from;
  for (;;) {
    if (i >= line.length) return fail("unterminated double quote");
    const c = line[i];
    if (c === '"') break;
    if (c === "\\") {
      const e = line[i + 1];
      if (e === "$" || e === "`" || e === '"' || e === "\\") {
        value += line.slice(seg, i) + e;
        i = seg = i + 2;
        continue;
      }
      i++;
    } else if (c === "$") {
      value += line.slice(seg, i);
      const r = lexDollar(line, i, atStart && value.length === 0, true);
      if (!r.ok) return r;
      value += line.slice(i, r.end);
      flags |= r.flags;
      i = seg = r.end;
      continue;
    }
    i++;
  }
  return { ok: true, end: i + 1, flags, value: value + line.slice(seg, i) };
}

/** A `$` at `i`: returns where the expansion ends (a lone `$` is literal). */
function lexDollar(line: string, i: number, lead: boolean, inDouble: boolean): PartResult {
  const c = line[i + 1] ?? "";
  const xflags = F_EXPANDS | (lead ? F_LEAD : 0) | (inDouble ? 0 : F_SPLIT);
  if (!inDouble && (c === "'" || c === '"')) return fail("bash $'…' or $\"…\" quoting");
  if (c === "{") {
    BRACE_PARAM.lastIndex = i;
    const m = BRACE_PARAM.exec(line);
    if (!m) return fail("complex braced parameter expansion");
    return { ok: true, end: i + m[0].length, flags: xflags, value: "" };
  }
  if (NAME_START.test(c)) {
    let j = i + 2;
    while (j < line.length && NAME_REST.test(line[j]!)) j++;
    return { ok: true, end: j, flags: xflags, value: "" };
  }
  if (c !== "" && SPECIAL_PARAM.test(c)) return { ok: true, end: i + 2, flags: xflags, value: "" };
  return { ok: true, end: i + 1, flags: 0, value: "" };
}
