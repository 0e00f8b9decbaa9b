// The only writer of hook stdout. Claude Code reads exactly one JSON object here, or nothing.
import { writeSync } from "node:fs";
import type { HookDecision } from "./decide.ts";

export function replyJson(decision: HookDecision): string | undefined {
  if (decision.kind === "pass") return undefined;
  const out: Record<string, unknown> = { hookEventName: "PreToolUse", updatedInput: decision.updatedInput };
  if (decision.allow) {
    out.permissionDecision = "allow";
    out.permissionDecisionReason = "rch: build offloaded; the original command is allowed by your settings";
  }
  return JSON.stringify({ hookSpecificOutput: out });
}

export function writeReply(decision: HookDecision): void {
  const json = replyJson(decision);
  if (json === undefined) return;
  const buf = Buffer.from(`${json}\n`);
  let off = 0;
  while (off < buf.length) off += writeSync(1, buf, off);
}
