// OpenAI Codex CLI: PreToolUse on its shell tool (reported as `Bash`), registered in
// $CODEX_HOME/hooks.json and run with `bash -c`. Codex applies `updatedInput` only together with
// `permissionDecision: "allow"` and merges it into the original call (workdir, yield time and
// login shell stay), so the reply carries just the new `command`. Because every rewrite must say
// "allow", rch rewrites only where Codex would not have asked anyway (README: "Codex CLI").
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseBashPreToolUse } from "./bashPreToolUse.ts";
import { codexHome } from "./codex-home.ts";
import type { AgentAdapter } from "./types.ts";

/** The permission modes in which Codex runs a shell call without asking anybody. Every other
 * (or a missing) mode means an approval could have been due, and an "allow" would skip it. */
const NEVER_PROMPTS: ReadonlySet<string> = new Set(["bypassPermissions"]);

/** Seconds Codex waits for the hook (its default is 600): the hook answers in milliseconds. */
const TIMEOUT_S = 10;

export const codex: AgentAdapter = {
  name: "codex",
  title: "Codex CLI",
  parse: parseBashPreToolUse,
  permit({ call }) {
    if (call.permissionMode !== undefined && NEVER_PROMPTS.has(call.permissionMode))
      return { rewrite: true, allow: true };
    return {
      rewrite: false,
      reason: `Codex may ask before running this (permission mode ${call.permissionMode ?? "unknown"})`,
    };
  },
  sample: (command, cwd, mode) => ({
    session_id: "rch-hook-test",
    turn_id: "rch-hook-test-turn",
    transcript_path: "/dev/null",
    cwd,
    hook_event_name: "PreToolUse",
    model: "rch-hook-test",
    permission_mode: mode,
    tool_name: "Bash",
    tool_input: { command },
    tool_use_id: "call_rch_test",
  }),
  // Codex ignores keys other than `command` in updatedInput (measured: an added `workdir` changed
  // nothing), so only `command` goes out. `allow` is always true here: permit() rewrites only then.
  reply: (_call, rewritten) => ({
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "allow",
      updatedInput: { command: rewritten },
    },
  }),
  registration: {
    file: (env) => join(codexHome(env), "hooks.json"),
    event: "PreToolUse",
    matcher: "Bash",
    handler: (command) => ({ type: "command", command, timeout: TIMEOUT_S }),
  },
  hookShell: ["/bin/bash", "-c"],
  detect: (env) => existsSync(codexHome(env)),
  afterChange: "Codex reads its hooks when a session starts: restart running sessions",
  afterInstall:
    "Codex skips hooks it does not trust, without a word: trust this one under /hooks in the Codex TUI " +
    "(or run rch hook install --agent codex --trust); a changed hook needs trusting again",
  // Only `rch hook status` asks, so config.toml's reader (its schema, TOML, the prefilter's marker)
  // loads then, not with every hook run: ~0.2 M instructions per Codex hook run (callgrind).
  warnings: (env) => (require("./codex-config.ts") as typeof import("./codex-config.ts")).codexWarnings(env),
  async trust(file, env) {
    const { trustCodexHook } = await import("./codex-trust.ts");
    const r = await trustCodexHook(file, process.cwd(), env);
    if (!r.ok)
      return { ok: false, message: `could not record trust: ${r.reason}; trust it under /hooks in Codex` };
    return {
      ok: true,
      message:
        r.trusted.length > 0 ? "trusted by Codex now (config.toml hooks.state)" : "already trusted by Codex",
    };
  },
};
