// The hook's decision as a value: pass (print nothing) or rewrite (with or without "allow").
import { classifyFull } from "../classify/index.ts";
import type { Classification } from "../classify/types.ts";
import type { Permit, PermitQuestion, ShellCall } from "./agents/types.ts";

export type HookDecision =
  | { kind: "pass"; reason: string; classification?: Classification }
  | { kind: "rewrite"; rewritten: string; allow: boolean; classification: Classification };

export interface DecideContext {
  /** Shell text put in front of each build span, e.g. `'/usr/local/bin/rch' exec -- `. */
  prefix: string;
  threshold: number;
  /** The agent's permission answer; asked only for lines that would be rewritten (reading
   * settings files is not free). */
  permit: (q: Omit<PermitQuestion, "env">) => Permit;
}

// Without the classifier's keyword fast path: the hook runs only after its prefilter found a build
// word, so the fast path would say "maybe" anyway, and compiling its regex cost ~0.37 M of the
// ~5 M instructions a build-path hook run spends above the Bun floor (callgrind, compiled rch).
// On a line it would have rejected, classifyFull says "local" too (test/classify/units.test.ts).
export function decide(call: ShellCall, ctx: DecideContext): HookDecision {
  const classification = classifyFull(call.command, { threshold: ctx.threshold, prefix: ctx.prefix });
  if (classification.kind === "local") return { kind: "pass", reason: classification.reason, classification };
  const rewritten = classification.rewritten;
  const p = ctx.permit({ call, commands: classification.commands, rewritten });
  if (!p.rewrite) return { kind: "pass", reason: p.reason, classification };
  return { kind: "rewrite", rewritten, allow: p.allow, classification };
}
