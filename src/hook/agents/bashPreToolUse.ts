// The payload Claude Code and Codex CLI share: a `PreToolUse` event on a shell tool named `Bash`,
// with the line in `tool_input.command`. Lenient on purpose: unknown fields from newer versions
// (Codex's turn_id, model, agent_id…) are kept, and tool_input's are passed back untouched.
import * as v from "valibot";
import type { ParsedCall } from "./types.ts";

// Built on the first payload: every adapter loads with the registry, and a hook run parses one
// agent's payload only, so the other schema is never built.
function payloadSchema() {
  return v.looseObject({
    hook_event_name: v.optional(v.string()),
    tool_name: v.string(),
    tool_input: v.looseObject({ command: v.string() }),
    cwd: v.optional(v.string()),
    permission_mode: v.optional(v.string()),
  });
}
let Payload: ReturnType<typeof payloadSchema> | undefined;

export function parseBashPreToolUse(payload: unknown): ParsedCall {
  Payload ??= payloadSchema();
  const r = v.safeParse(Payload, payload);
  if (!r.success) return { ok: false, reason: "input is not a Bash PreToolUse payload" };
  const p = r.output;
  if (p.tool_name !== "Bash") return { ok: false, reason: `tool ${p.tool_name} is not Bash` };
  if (p.hook_event_name !== undefined && p.hook_event_name !== "PreToolUse")
    return { ok: false, reason: `event ${p.hook_event_name} is not PreToolUse` };
  return {
    ok: true,
    call: {
      command: p.tool_input.command,
      toolInput: p.tool_input,
      cwd: p.cwd,
      permissionMode: p.permission_mode,
    },
  };
}
