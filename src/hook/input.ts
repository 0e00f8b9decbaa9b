// The PreToolUse payload. Lenient on purpose: unknown fields from newer Claude Code versions are
// kept (and tool_input's are passed back untouched), only what rch relies on is checked.
import * as v from "valibot";

export const BashToolInput = v.looseObject({ command: v.string() });

export const HookInput = v.looseObject({
  hook_event_name: v.optional(v.string()),
  tool_name: v.string(),
  tool_input: BashToolInput,
  cwd: v.optional(v.string()),
  permission_mode: v.optional(v.string()),
});

export type HookInput = v.InferOutput<typeof HookInput>;

export type ParsedInput = { ok: true; input: HookInput } | { ok: false; reason: string };

/** Max payload rch will consider; a build line is never anywhere near this. */
export const MAX_INPUT_BYTES = 1 << 20;

export function parseHookInput(raw: string): ParsedInput {
  if (raw.length === 0) return { ok: false, reason: "empty input" };
  if (raw.length > MAX_INPUT_BYTES) return { ok: false, reason: "input too large" };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "input is not JSON" };
  }
  const result = v.safeParse(HookInput, json);
  if (!result.success) return { ok: false, reason: "input is not a Bash PreToolUse payload" };
  if (result.output.tool_name !== "Bash")
    return { ok: false, reason: `tool ${result.output.tool_name} is not Bash` };
  if (result.output.hook_event_name !== undefined && result.output.hook_event_name !== "PreToolUse") {
    return { ok: false, reason: `event ${result.output.hook_event_name} is not PreToolUse` };
  }
  return { ok: true, input: result.output };
}
