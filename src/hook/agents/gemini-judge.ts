// Would Gemini CLI's policy engine tell the original line and its rewrite apart? Gemini judges the
// arguments *after* the hook, so a rewrite is only safe when every rule reaches the same verdict
// for both. Rules that look at the tool name alone cannot see the rewrite; the shell heuristics
// (read-only commands, `rm -f`, `git`) key on words rch never rewrites. What is left is every
// rule with an argument regex (`argsPattern`, `commandPrefix`, `commandRegex`): each must match
// the original and the rewritten arguments alike, both for the whole call and for each simple
// command, which Gemini checks again on its own as `{command, dir_path}`.
import { classify, DEFAULT_THRESHOLD } from "../../classify/index.ts";
import type { CommandVerdict } from "../../classify/types.ts";

/** Gemini's canonical JSON of tool arguments: keys sorted, and each top-level pair wrapped in
 * NUL characters so a pattern can anchor on one whole argument. */
export function stableArgs(args: Record<string, unknown>): string {
  const pairs = Object.keys(args)
    .sort()
    .filter((k) => args[k] !== undefined)
    .map((k) => `\0${JSON.stringify(k)}:${canonical(args[k])}\0`);
  return `{${pairs.join(",")}}`;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `{${keys
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(",")}}`;
}

/** Each simple command rch rewrote, before and after, as Gemini's per-command check sees it
 * (the whole simple command and the prefixed span alone, since the parsers may cut it
 * differently). `commands` are the verdicts that produced `rewritten` (the hook passes its own:
 * classifying the line again would be a second classification per hook run); undefined when
 * rch cannot reproduce `rewritten` from their spans. */
export function commandPairs(
  line: string,
  rewritten: string,
  commands: readonly CommandVerdict[] = classify(line, { threshold: DEFAULT_THRESHOLD }).commands,
): [string, string][] | undefined {
  const spans = commands.filter((v) => v.offload && v.span);
  const first = spans[0]?.span;
  const grow = rewritten.length - line.length;
  if (!first || grow <= 0 || grow % spans.length !== 0) return undefined;
  const prefix = rewritten.slice(first.start, first.start + grow / spans.length);
  let rebuilt = "";
  let at = 0;
  const pairs: [string, string][] = [];
  for (const v of spans) {
    const s = v.span!;
    rebuilt += line.slice(at, s.start) + prefix;
    at = s.start;
    const head = v.text.slice(0, s.start - v.start);
    const tail = v.text.slice(s.start - v.start);
    pairs.push(
      [v.text, head + prefix + tail],
      [line.slice(s.start, s.end), prefix + line.slice(s.start, s.end)],
    );
  }
  return rebuilt + line.slice(at) === rewritten ? pairs : undefined;
}

/** The first pattern that matches one side of a pair and not the other, or undefined. */
export function firstSeeing(
  patterns: readonly RegExp[],
  original: Record<string, unknown>,
  rewritten: Record<string, unknown>,
  pairs: readonly [string, string][],
): RegExp | undefined {
  // Most setups have no argument rule at all: then no probe is built (their canonical JSON was
  // ~0.2 M instructions per Gemini hook run, callgrind).
  if (patterns.length === 0) return undefined;
  const dir = original.dir_path;
  const probes: [string, string][] = [
    [stableArgs(original), stableArgs(rewritten)],
    ...pairs.map(([a, b]): [string, string] => [
      stableArgs({ command: a, dir_path: dir }),
      stableArgs({ command: b, dir_path: dir }),
    ]),
  ];
  return patterns.find((re) => probes.some(([a, b]) => re.test(a) !== re.test(b)));
}
