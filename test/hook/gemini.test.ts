// The Gemini CLI adapter as a unit: payload, reply, registration, and the sh prefilter under bash
// with Gemini's payload (one JSON line without a trailing newline).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gemini } from "../../src/hook/agents/gemini.ts";
import { hookStatus, installHook, uninstallHook } from "../../src/hook/install.ts";

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), "rch-hook-gemini-"));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const payload = (toolInput: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  session_id: "s",
  cwd: "/p",
  hook_event_name: "BeforeTool",
  tool_name: "run_shell_command",
  tool_input: toolInput,
  ...extra,
});

describe("gemini payload", () => {
  test("a shell call: the whole argument object is kept", () => {
    const r = gemini.parse(payload({ command: "make", dir_path: "sub", is_background: false, x: 1 }));
    expect(r).toEqual({
      ok: true,
      call: {
        command: "make",
        toolInput: { command: "make", dir_path: "sub", is_background: false, x: 1 },
        cwd: "/p",
      },
    });
  });

  test("another tool, another event, or no command is none of rch's business", () => {
    expect(gemini.parse(payload({ command: "make" }, { tool_name: "read_file" })).ok).toBe(false);
    expect(gemini.parse(payload({ command: "make" }, { hook_event_name: "AfterTool" })).ok).toBe(false);
    expect(gemini.parse(payload({ dir_path: "x" })).ok).toBe(false);
    expect(gemini.parse("make").ok).toBe(false);
  });

  test("the reply replaces tool_input with a full copy, only command changed, and no decision", () => {
    const call = {
      command: "make",
      toolInput: { command: "make", description: "d", dir_path: "sub", delay_ms: 5 },
    };
    expect(gemini.reply(call, "'/r' exec -- make", true)).toEqual({
      hookSpecificOutput: {
        hookEventName: "BeforeTool",
        tool_input: { command: "'/r' exec -- make", description: "d", dir_path: "sub", delay_ms: 5 },
      },
    });
  });

  test("rch hook test's sample parses back to the same command", () => {
    const r = gemini.parse(gemini.sample("cargo build", "/w", "default"));
    expect(r.ok && r.call.command).toBe("cargo build");
  });
});

describe("gemini registration", () => {
  test("settings.json under GEMINI_CLI_HOME, BeforeTool, timeout in milliseconds, idempotent", () => {
    const env = { HOME: join(scratch, "elsewhere"), GEMINI_CLI_HOME: scratch };
    const file = join(scratch, ".gemini", "settings.json");
    writeFileSync(join(scratch, "keep"), "");
    expect(installHook(["/opt/r ch"], env, gemini)).toMatchObject({ changed: true, file });
    const s = JSON.parse(readFileSync(file, "utf8"));
    const group = s.hooks.BeforeTool[0];
    expect(group.matcher).toBe("run_shell_command");
    expect(group.hooks[0]).toMatchObject({ type: "command", name: "rch", timeout: 10_000 });
    expect(group.hooks[0].command).toContain("exec '/opt/r ch' hook --agent 'gemini'");
    expect(installHook(["/opt/r ch"], env, gemini).changed).toBe(false);
    expect(hookStatus(env, gemini)).toMatchObject({ installed: true, binary: "/opt/r ch" });
    expect(uninstallHook(env, gemini).changed).toBe(true);
    expect(gemini.detect(env)).toBe(true);
    expect(gemini.detect({ HOME: join(scratch, "nobody") })).toBe(false);
  });

  test("the prefilter under bash hands rch Gemini's payload although it ends without a newline", () => {
    const fake = join(scratch, "rch");
    writeFileSync(fake, `#!/bin/sh\ncat > '${scratch}/got'\n`);
    chmodSync(fake, 0o755);
    installHook([fake], { GEMINI_CLI_HOME: scratch }, gemini);
    const command = hookStatus({ GEMINI_CLI_HOME: scratch }, gemini).command!;
    const line = JSON.stringify(payload({ command: "make -C 'a b'\necho \"x\"" }));
    const r = Bun.spawnSync([...gemini.hookShell, command], { stdin: Buffer.from(line), timeout: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(scratch, "got"), "utf8")).toBe(`${line}\n`);
    const none = Bun.spawnSync([...gemini.hookShell, command], {
      stdin: Buffer.from(JSON.stringify(payload({ command: "ls -la" }))),
      timeout: 10_000,
    });
    expect({ code: none.exitCode, out: none.stdout.toString() }).toEqual({ code: 0, out: "" });
  });
});

describe("gemini status warnings", () => {
  test("hooks switched off, and shell rules that keep builds local, are reported", () => {
    const env = { GEMINI_CLI_HOME: scratch };
    expect(gemini.warnings?.(env)).toEqual([]);
    mkdirSync(join(scratch, ".gemini", "policies"), { recursive: true });
    writeFileSync(
      join(scratch, ".gemini", "settings.json"),
      JSON.stringify({ hooksConfig: { enabled: false, disabled: ["rch"] } }),
    );
    writeFileSync(
      join(scratch, ".gemini", "policies", "p.toml"),
      '[[rule]]\ncommandPrefix = "make"\ndecision = "allow"\n',
    );
    const w = gemini.warnings?.(env) ?? [];
    expect(w).toHaveLength(3);
    expect(w.join("\n")).toContain("hooksConfig.enabled: false");
    expect(w.join("\n")).toContain("1 shell policy rule(s)");
    writeFileSync(join(scratch, ".gemini", "policies", "p.toml"), "[[rule");
    expect((gemini.warnings?.(env) ?? []).join("\n")).toContain("every line runs locally");
  });
});
