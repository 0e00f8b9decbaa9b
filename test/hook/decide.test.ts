import { describe, expect, test } from "bun:test";
import { claude } from "../../src/hook/agents/claude.ts";
import type { ShellCall } from "../../src/hook/agents/types.ts";
import { type DecideContext, decide as decideCall, type HookDecision } from "../../src/hook/decide.ts";
import { parseHookInput } from "../../src/hook/input.ts";
import { replyJson as replyFor } from "../../src/hook/reply.ts";

const prefix = "'/opt/rch' exec -- ";
const never = () => false;
const payload = (command: string, extra: Record<string, unknown> = {}) => ({
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: {
    command,
    description: "build it",
    timeout: 600000,
    run_in_background: false,
    future_field: 1,
  },
  permission_mode: "default",
  ...extra,
});
/** A Claude Code call, parsed by its adapter as the hook does. */
const input = (command: string, extra: Record<string, unknown> = {}): ShellCall => {
  const r = claude.parse(payload(command, extra));
  if (!r.ok) throw new Error(r.reason);
  return r.call;
};
let lastCall: ShellCall | undefined;
/** Claude Code's permit, with the settings' answer to "allowed without a prompt?" given. */
function decide(
  call: ShellCall,
  ctx: { prefix: string; threshold: number; allowedWithoutPrompt: (cmds: string[]) => boolean },
): HookDecision {
  lastCall = call;
  const permit: DecideContext["permit"] = ({ call: c, commands }) =>
    c.permissionMode === "bypassPermissions"
      ? { rewrite: true, allow: true }
      : { rewrite: true, allow: ctx.allowedWithoutPrompt(commands.map((v) => v.text)) };
  return decideCall(call, { prefix: ctx.prefix, threshold: ctx.threshold, permit });
}
const replyJson = (d: HookDecision) => replyFor(claude, lastCall!, d);

describe("decide", () => {
  test("non-build: pass, no reply", () => {
    const d = decide(input("git status"), { prefix, threshold: 0.85, allowedWithoutPrompt: never });
    expect(d.kind).toBe("pass");
    expect(replyJson(d)).toBeUndefined();
  });

  test("build: whole tool_input kept, only command changed, no decision", () => {
    const d = decide(input("cd app && cargo test 2>&1 | tail -40"), {
      prefix,
      threshold: 0.85,
      allowedWithoutPrompt: never,
    });
    const reply = JSON.parse(replyJson(d)!);
    expect(reply).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        updatedInput: {
          command: "cd app && '/opt/rch' exec -- cargo test 2>&1 | tail -40",
          description: "build it",
          timeout: 600000,
          run_in_background: false,
          future_field: 1,
        },
      },
    });
  });

  test("allow only when the settings already allow the original line", () => {
    let asked: string[] = [];
    const d = decide(input("cargo build && make all"), {
      prefix,
      threshold: 0.85,
      allowedWithoutPrompt: (cmds) => {
        asked = cmds;
        return true;
      },
    });
    expect(asked).toEqual(["cargo build", "make all"]);
    expect(JSON.parse(replyJson(d)!).hookSpecificOutput.permissionDecision).toBe("allow");
  });

  test("Claude Code's permit: bypassPermissions allows; default mode with no rules does not", () => {
    // A HOME with no settings at all: only the mode can allow.
    const env = { HOME: "/nonexistent-rch-test-home" };
    const permit: DecideContext["permit"] = (q) => claude.permit({ ...q, env });
    const bypass = input("cargo build", { permission_mode: "bypassPermissions" });
    const d = decideCall(bypass, { prefix, threshold: 0.85, permit });
    expect(JSON.parse(replyFor(claude, bypass, d)!).hookSpecificOutput.permissionDecision).toBe("allow");
    const plain = input("cargo build");
    const p = decideCall(plain, { prefix, threshold: 0.85, permit });
    expect(p.kind).toBe("rewrite");
    expect(JSON.parse(replyFor(claude, plain, p)!).hookSpecificOutput.permissionDecision).toBeUndefined();
  });

  test("threshold above every confidence keeps builds local", () => {
    expect(decide(input("cargo build"), { prefix, threshold: 0.99, allowedWithoutPrompt: never }).kind).toBe(
      "pass",
    );
  });
});

describe("parseHookInput", () => {
  const ok = JSON.stringify({
    tool_name: "Bash",
    tool_input: { command: "make" },
    hook_event_name: "PreToolUse",
  });
  test.each([
    ["", "empty"],
    ["not json", "not JSON"],
    ["[]", "not a Bash"],
    ['{"tool_name":"Bash","tool_input":{"command":42}}', "not a Bash"],
    ['{"tool_name":"Edit","tool_input":{"command":"make"}}', "not Bash"],
    [
      '{"tool_name":"Bash","tool_input":{"command":"make"},"hook_event_name":"PostToolUse"}',
      "not PreToolUse",
    ],
  ])("rejects %p", (raw, why) => {
    const r = parseHookInput(raw, claude);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
  test("accepts a payload with unknown fields", () => {
    expect(parseHookInput(ok.replace("{", '{"effort":{"level":"high"},'), claude).ok).toBe(true);
  });
});
