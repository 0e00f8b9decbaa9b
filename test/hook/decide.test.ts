import { describe, expect, test } from "bun:test";
import { decide } from "../../src/hook/decide.ts";
import type { HookInput } from "../../src/hook/input.ts";
import { parseHookInput } from "../../src/hook/input.ts";
import { replyJson } from "../../src/hook/reply.ts";

const prefix = "'/opt/rch' exec -- ";
const never = () => false;
const input = (command: string, extra: Partial<HookInput> = {}): HookInput => ({
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

  test("bypassPermissions mode allows", () => {
    const d = decide(input("cargo build", { permission_mode: "bypassPermissions" }), {
      prefix,
      threshold: 0.85,
      allowedWithoutPrompt: never,
    });
    expect(JSON.parse(replyJson(d)!).hookSpecificOutput.permissionDecision).toBe("allow");
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
    const r = parseHookInput(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
  test("accepts a payload with unknown fields", () => {
    expect(parseHookInput(ok.replace("{", '{"effort":{"level":"high"},')).ok).toBe(true);
  });
});
