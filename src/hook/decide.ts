// The hook's decision as a value: pass (print nothing) or rewrite (with or without "allow").
import { classify } from "../classify/index.ts";
import type { Classification } from "../classify/types.ts";
import type { HookInput } from "./input.ts";

export type HookDecision =
  | { kind: "pass"; reason: string; classification?: Classification }
  | {
      kind: "rewrite";
      updatedInput: Record<string, unknown>;
      allow: boolean;
      classification: Classification;
    };

export interface DecideContext {
  /** Shell text put in front of each build span, e.g. `'/usr/local/bin/rch' exec -- `. */
  prefix: string;
  threshold: number;
  /** Asked only for lines that are rewritten: reading settings files is not free. */
  allowedWithoutPrompt: (simpleCommands: string[]) => boolean;
}

export function decide(input: HookInput, ctx: DecideContext): HookDecision {
  const line = input.tool_input.command;
  const classification = classify(line, { threshold: ctx.threshold, prefix: ctx.prefix });
  if (classification.kind === "local") return { kind: "pass", reason: classification.reason, classification };
  const allow =
    input.permission_mode === "bypassPermissions" ||
    ctx.allowedWithoutPrompt(classification.commands.map((c) => c.text));
  // A copy of tool_input with only `command` changed: dropping timeout or run_in_background
  // would kill long builds at the default tool timeout.
  const updatedInput = { ...input.tool_input, command: classification.rewritten };
  return { kind: "rewrite", updatedInput, allow, classification };
}
