// POSIX sh tokenizer for one command line. It only has to be exact for the lines it accepts:
// anything whose meaning depends on constructs we do not model (subshells, here-docs, command
// substitution, bash-only quoting…) is refused, and a refused line stays local. Never throws.

import { type Fail, fail, isMeta, lexWord, SPACE, TAB, type WordToken } from "./lexword.ts";

export { F_EXPANDS, F_GLOB, F_LEAD, F_QUOTED, F_SPLIT, F_TILDE, type WordToken } from "./lexword.ts";

/** A control operator that separates simple commands. */
export interface OpToken {
  type: "op";
  op: "&&" | "||" | ";" | "&" | "|" | "|&";
  start: number;
  end: number;
}

/** A redirection operator (with its optional fd number); its target is the next word. */
export interface RedirToken {
  type: "redir";
  op: string;
  start: number;
  end: number;
  /** Reads from somewhere (`<`, `<>`, `<&`): the build would need local input. */
  input: boolean;
}

export type Token = WordToken | OpToken | RedirToken;
export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; reason: string };

const ALWAYS_LOCAL_REASON: Record<string, string> = {
  "\n": "newline in the command",
  "\r": "carriage return in the command",
  "\0": "NUL character in the command",
  "`": "backtick command substitution",
};
const FD_REDIR_NAME = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;

// Refused wherever they stand, even inside quotes: multi-line input and command substitution.
const ALWAYS_LOCAL = /[\n\r\0`]|\$\(/;

export function tokenize(line: string): TokenizeResult {
  const bad = ALWAYS_LOCAL.exec(line);
  if (bad) return fail(ALWAYS_LOCAL_REASON[bad[0]] ?? "command substitution '$('");
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    if (c === 35 /* # */) break; // a comment runs to the end of the line
    if (c === 40 || c === 41) return fail("'(' or ')' outside quotes (subshell, function or substitution)");
    if (isMeta(c)) {
      const r = lexOperator(line, i, i);
      if (!r.ok) return r;
      tokens.push(r.token);
      i = r.token.end;
      continue;
    }
    const w = lexWord(line, i);
    if (!w.ok) return w;
    const word = w.word;
    const next = line.charCodeAt(word.end);
    if (next === 60 || next === 62) {
      // `2>file`: an all-digit word glued to < or > is the fd of the redirection.
      if (word.flags === 0 && /^[0-9]+$/.test(word.value)) {
        // `2>&1>log`: bash reads `>&1` then `>log`, dash reads `>&` then `1>log`. Refuse.
        if (tokens[tokens.length - 1]?.type === "redir") return fail("ambiguous digits between redirections");
        const r = lexOperator(line, word.end, word.start);
        if (!r.ok) return r;
        tokens.push(r.token);
        i = r.token.end;
        continue;
      }
      if (FD_REDIR_NAME.test(word.value)) return fail("bash '{fd}>' redirection");
    }
    tokens.push(word);
    i = word.end;
  }
  return { ok: true, tokens };
}

type OpResult = { ok: true; token: OpToken | RedirToken } | Fail;

function op(o: OpToken["op"], start: number, end: number): OpResult {
  return { ok: true, token: { type: "op", op: o, start, end } };
}
function redir(o: string, start: number, end: number, input: boolean): OpResult {
  return { ok: true, token: { type: "redir", op: o, start, end, input } };
}

/** Longest-match operator at `i`; `start` is earlier than `i` when an fd number precedes it. */
function lexOperator(line: string, i: number, start: number): OpResult {
  const c = line[i];
  const c1 = line[i + 1];
  const c2 = line[i + 2];
  const fd = start < i;
  // Any redirection of fd 0 (`0>&1`, `0>file`) changes what the command reads: count it as input.
  const stdin = fd && Number(line.slice(start, i)) === 0;
  if (c === "<") {
    if (c1 === "<") return fail(c2 === "<" ? "here-string '<<<'" : "here-document '<<'");
    if (c1 === ">" || c1 === "&") return redir(`<${c1}`, start, i + 2, true);
    return redir("<", start, i + 1, true);
  }
  if (c === ">") {
    if (c1 === ">" || c1 === "&" || c1 === "|") return redir(`>${c1}`, start, i + 2, stdin);
    return redir(">", start, i + 1, stdin);
  }
  if (fd) return fail("unexpected operator after fd number");
  if (c === "&") {
    if (c1 === "&") return op("&&", i, i + 2);
    // bash `&>file` / `&>>file`: both outputs to a file (in POSIX sh: `&` then `>file`).
    if (c1 === ">") return c2 === ">" ? redir("&>>", i, i + 3, false) : redir("&>", i, i + 2, false);
    return op("&", i, i + 1);
  }
  if (c === "|") {
    if (c1 === "|") return op("||", i, i + 2);
    if (c1 === "&") return op("|&", i, i + 2);
    return op("|", i, i + 1);
  }
  // ;
  if (c1 === ";") return fail("';;' outside a case statement");
  return op(";", i, i + 1);
}
