// Gemini CLI (0.61): BeforeTool on run_shell_command, ~/.gemini/settings.json. Its
// `hookSpecificOutput.tool_input` replaces the tool's whole argument object (not a merge), so the
// reply is a full copy with only `command` changed: dropping `dir_path` would run the build in the
// project root. Gemini's policy engine judges the rewritten arguments after the hook, and a hook
// cannot lift a policy denial, so the reply never carries a decision; rch rewrites only when no
// policy rule can tell the two lines apart (gemini-judge.ts), in any approval mode.
import { existsSync } from "node:fs";
import * as v from "valibot";
import { commandPairs, firstSeeing } from "./gemini-judge.ts";
import { geminiDir, shellPatterns } from "./gemini-sources.ts";
import type { AgentAdapter } from "./types.ts";

/** Lenient on purpose: newer fields are kept and passed back untouched. Built on the first
 * payload (bashPreToolUse.ts says why). */
function payloadSchema() {
  return v.looseObject({
    hook_event_name: v.optional(v.string()),
    tool_name: v.string(),
    tool_input: v.looseObject({ command: v.string() }),
    cwd: v.optional(v.string()),
  });
}
let Payload: ReturnType<typeof payloadSchema> | undefined;

/** Milliseconds Gemini gives the hook before killing it and running the original command. */
const TIMEOUT_MS = 10_000;

/** Gemini runs hook commands as `bash -c`; tests and benches run it with the same bash. */
const BASH = existsSync("/bin/bash") ? "/bin/bash" : "/usr/bin/bash";

export const gemini: AgentAdapter = {
  name: "gemini",
  title: "Gemini CLI",
  parse(payload) {
    Payload ??= payloadSchema();
    const r = v.safeParse(Payload, payload);
    if (!r.success) return { ok: false, reason: "input is not a run_shell_command BeforeTool payload" };
    const p = r.output;
    if (p.tool_name !== "run_shell_command")
      return { ok: false, reason: `tool ${p.tool_name} is not the shell` };
    if (p.hook_event_name !== undefined && p.hook_event_name !== "BeforeTool")
      return { ok: false, reason: `event ${p.hook_event_name} is not BeforeTool` };
    return { ok: true, call: { command: p.tool_input.command, toolInput: p.tool_input, cwd: p.cwd } };
  },
  permit({ call, commands, rewritten, env }) {
    const projectDir = env.GEMINI_PROJECT_DIR || call.cwd || process.cwd();
    const rules = shellPatterns(env, projectDir, process.ppid);
    if (!rules.ok) return { rewrite: false, reason: `gemini policy: ${rules.reason}` };
    const pairs = commandPairs(call.command, rewritten, commands);
    if (!pairs) return { rewrite: false, reason: "gemini policy: cannot pair the rewrite's commands" };
    const seeing = firstSeeing(
      rules.patterns,
      call.toolInput,
      { ...call.toolInput, command: rewritten },
      pairs,
    );
    if (seeing)
      return {
        rewrite: false,
        reason: `gemini policy rule /${seeing.source}/ would judge the rewrite differently`,
      };
    return { rewrite: true, allow: false };
  },
  sample: (command, cwd) => ({
    session_id: "rch-hook-test",
    transcript_path: "/dev/null",
    cwd,
    hook_event_name: "BeforeTool",
    timestamp: new Date(0).toISOString(),
    tool_name: "run_shell_command",
    tool_input: { command, description: "rch hook test" },
  }),
  reply: (call, rewritten) => ({
    hookSpecificOutput: {
      hookEventName: "BeforeTool",
      tool_input: { ...call.toolInput, command: rewritten },
    },
  }),
  registration: {
    file: (env) => `${geminiDir(env)}/settings.json`,
    event: "BeforeTool",
    // A regex in Gemini; parse() still checks the exact name.
    matcher: "run_shell_command",
    handler: (command) => ({ type: "command", name: "rch", command, timeout: TIMEOUT_MS }),
  },
  hookShell: [BASH, "-c"],
  detect: (env) => existsSync(geminiDir(env)),
  afterChange: "Gemini CLI reads settings.json at start: restart running sessions",
  // Only `rch hook status` asks: its reader loads then, not with every hook run.
  warnings: (env) =>
    (require("./gemini-status.ts") as typeof import("./gemini-status.ts")).geminiWarnings(env),
};
