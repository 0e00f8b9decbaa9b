// classify(): fast keyword rejection, then tokenize → split into simple commands → judge each →
// insert the prefix before every offloaded span. The rest of the line is kept byte for byte.

import { mayContainBuild } from "./fastpath.ts";
import { splitCommands } from "./structure.ts";
import { tokenize } from "./tokenize.ts";
import type { Classification, ClassifyOptions, CommandVerdict } from "./types.ts";
import { judgeCommand } from "./verdict.ts";

export const DEFAULT_THRESHOLD = 0.85;
export const DEFAULT_PREFIX = "rch exec -- ";

/**
 * The fast path's answer, shared and frozen so that rejecting a non-build line allocates nothing.
 * Callers must not mutate a Classification they receive.
 */
export const NO_BUILD_KEYWORD: Classification = Object.freeze({
  kind: "local",
  reason: "no build command word",
  commands: Object.freeze([]) as unknown as CommandVerdict[],
});

export function classify(line: string, opts?: ClassifyOptions): Classification {
  if (!mayContainBuild(line)) return NO_BUILD_KEYWORD;
  return classifyFull(line, opts);
}

/** The full classification without the keyword prefilter (exported for tests of the fast path). */
export function classifyFull(line: string, opts?: ClassifyOptions): Classification {
  const threshold = opts?.threshold ?? DEFAULT_THRESHOLD;
  const prefix = opts?.prefix ?? DEFAULT_PREFIX;
  // Whatever rch is called, a line that already contains our own prefix is never wrapped again.
  const marker = prefix.trim();
  if (marker !== "" && line.includes(marker))
    return { kind: "local", reason: "already wrapped", commands: [] };
  const tokens = tokenize(line);
  if (!tokens.ok) return { kind: "local", reason: tokens.reason, commands: [] };
  const split = splitCommands(tokens.tokens, line);
  if (!split.ok) return { kind: "local", reason: split.reason, commands: [] };
  if (split.commands.length === 0) return { kind: "local", reason: "empty command", commands: [] };

  const commands = split.commands.map((c) => judgeCommand(c, line, threshold));
  let rewritten = "";
  let pos = 0;
  let offloaded = false;
  for (const c of commands) {
    if (!c.span) continue;
    rewritten += line.slice(pos, c.span.start) + prefix;
    pos = c.span.start;
    offloaded = true;
  }
  if (!offloaded) {
    const reason = commands.find((c) => c.family)?.reason ?? "no build command";
    return { kind: "local", reason, commands };
  }
  return { kind: "offload", rewritten: rewritten + line.slice(pos), commands };
}
