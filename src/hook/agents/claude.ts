// Claude Code: PreToolUse on the Bash tool, settings.json; `updatedInput` replaces the whole tool
// input, so the reply is a copy with only `command` changed (dropping timeout or
// run_in_background would kill long builds at the default tool timeout).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { userHome } from "../../config/home.ts";
import { allowedWithoutPrompt, claudeDir, effectiveRules } from "../permissions.ts";
import { parseBashPreToolUse } from "./bashPreToolUse.ts";
import type { AgentAdapter } from "./types.ts";

/** Seconds Claude Code gives the hook before killing it and running the original command. */
const TIMEOUT_S = 10;

export const claude: AgentAdapter = {
  name: "claude",
  title: "Claude Code",
  parse: parseBashPreToolUse,
  permit({ call, commands, env }) {
    // Claude Code's own permission flow judges a rewrite without a decision; "allow" only when the
    // original line would have run without a prompt anyway.
    if (call.permissionMode === "bypassPermissions") return { rewrite: true, allow: true };
    const projectDir = env.CLAUDE_PROJECT_DIR || call.cwd;
    return {
      rewrite: true,
      allow: allowedWithoutPrompt(
        effectiveRules(env, projectDir),
        commands.map((c) => c.text),
      ),
    };
  },
  sample: (command, cwd, mode) => ({
    session_id: "rch-hook-test",
    transcript_path: "/dev/null",
    cwd,
    permission_mode: mode,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command, description: "rch hook test", timeout: 600000 },
    tool_use_id: "toolu_rch_test",
  }),
  reply(call, rewritten, allow) {
    const out: Record<string, unknown> = {
      hookEventName: "PreToolUse",
      updatedInput: { ...call.toolInput, command: rewritten },
    };
    if (allow) {
      out.permissionDecision = "allow";
      out.permissionDecisionReason = "rch: build offloaded; the original command is allowed by your settings";
    }
    return { hookSpecificOutput: out };
  },
  registration: {
    file: (env) => join(claudeDir(env), "settings.json"),
    event: "PreToolUse",
    matcher: "Bash",
    handler: (command) => ({ type: "command", command, timeout: TIMEOUT_S }),
  },
  hookShell: ["/bin/sh", "-c"],
  detect: (env) => existsSync(claudeDir(env)) || existsSync(join(userHome(env), ".claude.json")),
  afterChange: "running Claude Code sessions only see hook changes after a restart",
};
