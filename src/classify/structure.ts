// Splits a token list into simple commands joined by && || ; & | |&, and refuses lines whose
// structure we do not model (compound commands, groups, invalid shell, an existing rch exec).

import type { OpToken, RedirToken, Token, WordToken } from "./tokenize.ts";

export interface Redirect {
  op: string;
  start: number;
  end: number;
  input: boolean;
  target: WordToken;
}

export type Item = WordToken | Redirect;

export interface SimpleCommand {
  /** Offsets of the first and one-past-last character of the command's tokens. */
  start: number;
  end: number;
  items: Item[];
  /** On the right of `|` or `|&`: its stdin is the pipe. */
  afterPipe: boolean;
}

export type SplitResult = { ok: true; commands: SimpleCommand[] } | { ok: false; reason: string };

export const isWord = (x: Item): x is WordToken => (x as WordToken).type === "word";

/** Reserved words (POSIX, bash and zsh) that start compound commands; `[[`/`]]` too. */
const RESERVED = new Set(
  (
    "if then else elif fi for while until do done case esac in function select coproc " +
    "repeat foreach end ! [[ ]] { }"
  ).split(" "),
);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** A NAME=value word: the name part must be unquoted, so test the source text's prefix. */
export function isAssignment(w: WordToken, line: string): boolean {
  return ASSIGNMENT.test(w.value) && ASSIGNMENT.test(line.slice(w.start, w.end));
}

/** Last path component of a word value (the whole value when it has no slash). */
export function basename(v: string): string {
  return v.slice(v.lastIndexOf("/") + 1);
}

export function splitCommands(tokens: readonly Token[], line: string): SplitResult {
  const commands: SimpleCommand[] = [];
  let items: Item[] = [];
  let afterPipe = false;
  let lastOp: OpToken | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "word") {
      items.push(t);
    } else if (t.type === "redir") {
      const target = tokens[i + 1];
      if (target?.type !== "word") return { ok: false, reason: `redirection '${t.op}' without a target` };
      items.push(toRedirect(t, target));
      i++;
    } else {
      if (items.length === 0) return { ok: false, reason: `'${t.op}' without a command before it` };
      const r = finish(items, afterPipe, line);
      if (typeof r === "string") return { ok: false, reason: r };
      commands.push(r);
      items = [];
      afterPipe = t.op === "|" || t.op === "|&";
      lastOp = t;
    }
  }
  if (items.length > 0) {
    const r = finish(items, afterPipe, line);
    if (typeof r === "string") return { ok: false, reason: r };
    commands.push(r);
  } else if (lastOp && lastOp.op !== ";" && lastOp.op !== "&") {
    return { ok: false, reason: `line ends with '${lastOp.op}'` };
  }
  return { ok: true, commands };
}

function toRedirect(t: RedirToken, target: WordToken): Redirect {
  return { op: t.op, start: t.start, end: target.end, input: t.input, target };
}

/** Builds one simple command, or returns why the whole line must stay local. */
function finish(items: Item[], afterPipe: boolean, line: string): SimpleCommand | string {
  let sawRch = false;
  let commandPos = true; // still at the command word (past leading assignments only)
  for (const it of items) {
    if (!isWord(it)) {
      commandPos = false;
      continue;
    }
    const raw = it.end - it.start <= 6 ? line.slice(it.start, it.end) : "";
    if (raw === "{" || raw === "}") return `'${raw}' group`;
    if (commandPos) {
      if (RESERVED.has(raw)) return `reserved word '${raw}' (compound command)`;
      if (!isAssignment(it, line)) commandPos = false;
    }
    if (sawRch && it.value === "exec") return "already wrapped in 'rch exec'";
    if (basename(it.value) === "rch") sawRch = true;
  }
  const first = items[0]!;
  const last = items[items.length - 1]!;
  return { start: first.start, end: last.end, items, afterPipe };
}
