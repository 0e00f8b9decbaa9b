// The only writer of hook stdout. Agents read exactly one JSON object here, or nothing.
import { writeSync } from "node:fs";
import type { AgentAdapter, ShellCall } from "./agents/types.ts";
import type { HookDecision } from "./decide.ts";

export function replyJson(agent: AgentAdapter, call: ShellCall, decision: HookDecision): string | undefined {
  if (decision.kind === "pass") return undefined;
  return JSON.stringify(agent.reply(call, decision.rewritten, decision.allow));
}

// TextEncoder rather than Buffer.from: Buffer's first use cost ~0.4 M instructions per hook run
// (callgrind, compiled), and nothing else on Claude Code's or Codex's build path touches Buffer.
export function writeReply(json: string | undefined): void {
  if (json === undefined) return;
  const buf = new TextEncoder().encode(`${json}\n`);
  let off = 0;
  while (off < buf.length) off += writeSync(1, buf, off);
}
