// The hook's stdin → one agent's shell call. Size and JSON are checked here; what the payload
// must contain is each agent adapter's business.
import type { AgentAdapter, ParsedCall } from "./agents/types.ts";

/** Max payload rch will consider; a build line is never anywhere near this. */
export const MAX_INPUT_BYTES = 1 << 20;

export function parseHookInput(raw: string, agent: AgentAdapter): ParsedCall {
  if (raw.length === 0) return { ok: false, reason: "empty input" };
  if (raw.length > MAX_INPUT_BYTES) return { ok: false, reason: "input too large" };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "input is not JSON" };
  }
  return agent.parse(json);
}
