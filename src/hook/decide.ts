// The hook's decision as a value: pass (print nothing) or rewrite (with or without "allow").
import { classify } from "../classify/index.ts";
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

export function decide(call: ShellCall, ctx: DecideContext): HookDecision {
  const classification = classify(call.command, { threshold: ctx.threshold, prefix: ctx.prefix });
  if (classification.kind === "local") return { kind: "pass", reason: classification.reason, classification };
  const rewritten = classification.rewritten;
  const p = ctx.permit({ call, commands: classification.commands, rewritten });
  if (!p.rewrite) return { kind: "pass", reason: p.reason, classification };
  return { kind: "rewrite", rewritten, allow: p.allow, classification };
}
