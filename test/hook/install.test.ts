import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claude } from "../../src/hook/agents/claude.ts";
import type { AgentAdapter } from "../../src/hook/agents/types.ts";
import { hookStatus, installHook, SettingsFileError, uninstallHook } from "../../src/hook/install.ts";
import { SHORT_RUN_ENV } from "../../src/shell/shortRun.ts";

let home: string;
let env: NodeJS.ProcessEnv;
const settings = () => join(home, ".claude", "settings.json");
const read = () => JSON.parse(readFileSync(settings(), "utf8"));
const rch = ["/opt/rch dir/rch"];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "rch-hook-install-"));
  env = { HOME: home };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const existing = {
  model: "opus",
  permissions: { allow: ["Bash(make:*)"] },
  hooks: {
    PreToolUse: [{ matcher: "Edit", hooks: [{ type: "command", command: "lint.sh" }] }],
    PostToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "log.sh" }] }],
  },
};

describe("rch hook install/uninstall", () => {
  test("creates settings.json when absent", () => {
    const r = installHook(rch, env);
    expect(r.changed).toBe(true);
    const s = read();
    expect(s.hooks.PreToolUse).toHaveLength(1);
    expect(s.hooks.PreToolUse[0].matcher).toBe("Bash");
    expect(s.hooks.PreToolUse[0].hooks[0].command).toContain("exec '/opt/rch dir/rch' hook");
  });

  test("keeps every other key and hook, backs up, is idempotent", () => {
    mkdirSync(join(home, ".claude"));
    writeFileSync(settings(), JSON.stringify(existing));
    installHook(rch, env);
    const once = readFileSync(settings(), "utf8");
    expect(existsSync(`${settings()}.rch-backup`)).toBe(true);
    expect(JSON.parse(readFileSync(`${settings()}.rch-backup`, "utf8"))).toEqual(existing);
    expect(installHook(rch, env).changed).toBe(false);
    expect(readFileSync(settings(), "utf8")).toBe(once);
    const s = read();
    expect(s.model).toBe("opus");
    expect(s.permissions).toEqual(existing.permissions);
    expect(s.hooks.PostToolUse).toEqual(existing.hooks.PostToolUse);
    expect(s.hooks.PreToolUse).toHaveLength(2);
    expect(s.hooks.PreToolUse[0]).toEqual(existing.hooks.PreToolUse[0]);
  });

  test("reinstalling from a moved binary replaces the entry instead of adding one", () => {
    installHook(rch, env);
    installHook(["/usr/local/bin/rch"], env);
    const entries = read().hooks.PreToolUse;
    expect(entries).toHaveLength(1);
    expect(entries[0].hooks[0].command).toContain("/usr/local/bin/rch");
  });

  test("uninstall removes exactly rch's entry", () => {
    mkdirSync(join(home, ".claude"));
    writeFileSync(settings(), JSON.stringify(existing));
    installHook(rch, env);
    expect(uninstallHook(env).changed).toBe(true);
    expect(read()).toEqual(existing);
    expect(uninstallHook(env).changed).toBe(false);
  });

  test("uninstall leaves no empty hooks object behind", () => {
    installHook(rch, env);
    uninstallHook(env);
    expect(read()).toEqual({});
  });

  test("refuses to touch a settings file that is not valid JSON", () => {
    mkdirSync(join(home, ".claude"));
    writeFileSync(settings(), "{ not json");
    expect(() => installHook(rch, env)).toThrow(SettingsFileError);
    expect(readFileSync(settings(), "utf8")).toBe("{ not json");
  });

  test("status reports the binary and whether it exists", () => {
    expect(hookStatus(env).installed).toBe(false);
    installHook(rch, env);
    expect(hookStatus(env)).toMatchObject({
      installed: true,
      binary: "/opt/rch dir/rch",
      binaryExists: false,
    });
    installHook([process.execPath], env);
    expect(hookStatus(env)).toMatchObject({
      installed: true,
      binary: process.execPath,
      binaryExists: true,
      current: true,
    });
    // An older rch's command (before the JIT switch): still found, reported as not current.
    const text = readFileSync(settings(), "utf8");
    writeFileSync(settings(), text.replace(`${SHORT_RUN_ENV} exec`, "exec"));
    expect(hookStatus(env)).toMatchObject({ installed: true, binary: process.execPath, current: false });
  });
});

describe("the agent seam", () => {
  // A made-up agent with another file, event, matcher and handler shape: install/uninstall are
  // driven only by its registration.
  const other: AgentAdapter = {
    ...claude,
    name: "other",
    registration: {
      file: (e) => join(e.HOME!, ".other", "hooks.json"),
      event: "BeforeTool",
      matcher: "shell",
      handler: (command) => ({ type: "command", name: "rch", command, timeout: 10000 }),
    },
  };
  const file = () => join(home, ".other", "hooks.json");

  test("installs under the adapter's event with the agent named in the command", () => {
    mkdirSync(join(home, ".other"));
    writeFileSync(file(), JSON.stringify({ hooks: { BeforeTool: [{ matcher: "x", hooks: [] }] }, keep: 1 }));
    expect(installHook(rch, env, other).changed).toBe(true);
    const s = JSON.parse(readFileSync(file(), "utf8"));
    expect(s.keep).toBe(1);
    expect(s.hooks.BeforeTool).toHaveLength(2);
    expect(s.hooks.BeforeTool[1]).toMatchObject({
      matcher: "shell",
      hooks: [{ name: "rch", timeout: 10000 }],
    });
    expect(s.hooks.BeforeTool[1].hooks[0].command).toContain(
      "exec '/opt/rch dir/rch' hook --agent 'other' <<",
    );
    expect(installHook(rch, env, other).changed).toBe(false);
    expect(hookStatus(env, other)).toMatchObject({ installed: true, binary: "/opt/rch dir/rch" });
    // Claude Code's file is untouched by another agent's install.
    expect(existsSync(settings())).toBe(false);
    expect(uninstallHook(env, other).changed).toBe(true);
    expect(JSON.parse(readFileSync(file(), "utf8")).hooks.BeforeTool).toHaveLength(1);
  });
});
