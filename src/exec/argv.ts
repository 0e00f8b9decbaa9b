// `rch exec -- [NAME=value…] [env [NAME=value…]] TOOL ARGS…`: splits what follows `--` into the
// environment assignments and the tool's argv. The hook may also leave the transparent wrappers
// `time [-p]`, `nice [-n N]`, `timeout [opts] DURATION` inside the span; they must run locally
// (a timeout has to signal rch exec, which then stops the remote build), so they come back as a
// "wrapped" result and the caller re-runs rch exec underneath them.

export type Assignment = readonly [name: string, value: string];

export type ParsedArgv =
  | { kind: "command"; assignments: Assignment[]; argv: string[] }
  /** Run `wrapper` locally around `rch exec -- inner` (inner keeps the assignments as words). */
  | { kind: "wrapped"; wrapper: string[]; inner: string[] }
  | { kind: "invalid"; reason: string };

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;
const INT = /^[+-]?\d+$/;
const DURATION = /^(\d+\.?\d*|\.\d+)[smhd]?$/;

function commandName(word: string): string {
  return word.startsWith("/") ? word.slice(word.lastIndexOf("/") + 1) : word;
}

/** Index just past the wrapper's own options, or a reason it is not understood. */
function wrapperEnd(name: string, words: readonly string[], i: number): number | string {
  const w = (k: number) => words[k];
  if (name === "time") return w(i) === "-p" ? i + 1 : i;
  if (name === "nice") {
    const a = w(i);
    if (a === "-n") return INT.test(w(i + 1) ?? "") ? i + 2 : "nice: -n needs a number";
    if (
      a !== undefined &&
      (/^-n[+-]?\d+$/.test(a) || /^--adjustment=[+-]?\d+$/.test(a) || /^-\d+$/.test(a))
    ) {
      return i + 1;
    }
    return a?.startsWith("-") ? `nice: option ${a} is not supported` : i;
  }
  // timeout
  for (;;) {
    const a = w(i);
    if (a === undefined) return "timeout: missing duration";
    if (a === "--preserve-status" || a === "--foreground" || a === "-v" || a === "--verbose") i++;
    else if (a === "-s" || a === "-k") i += 2;
    else if (/^(-s|-k)./.test(a) || /^--(signal|kill-after)=/.test(a)) i++;
    else if (DURATION.test(a)) return i + 1;
    else return `timeout: option ${a} is not supported`;
  }
}

export function parseExecArgv(words: readonly string[]): ParsedArgv {
  const assignments: Assignment[] = [];
  let i = 0;
  let sawEnv = false;
  for (;;) {
    const word = words[i];
    if (word === undefined) {
      return {
        kind: "invalid",
        reason: sawEnv || assignments.length ? "no command after the assignments" : "no command",
      };
    }
    const m = ASSIGNMENT.exec(word);
    if (m && (assignments.length === i || sawEnv)) {
      assignments.push([m[1]!, word.slice(m[0].length)]);
      i++;
      continue;
    }
    const name = commandName(word);
    if (name === "env") {
      const next = words[i + 1];
      if (next?.startsWith("-")) return { kind: "invalid", reason: `env option ${next} is not supported` };
      sawEnv = true;
      i++;
      continue;
    }
    if (name === "time" || name === "nice" || name === "timeout") {
      const end = wrapperEnd(name, words, i + 1);
      if (typeof end === "string") return { kind: "invalid", reason: end };
      const inner = [...assignments.map(([n, v]) => `${n}=${v}`), ...words.slice(end)];
      return { kind: "wrapped", wrapper: words.slice(i, end), inner };
    }
    return { kind: "command", assignments, argv: words.slice(i) };
  }
}
