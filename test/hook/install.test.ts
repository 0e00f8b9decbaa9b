import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hookStatus, installHook, SettingsFileError, uninstallHook } from "../../src/hook/install.ts";

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
    expect(hookStatus(env)).toMatchObject({ installed: true, binary: process.execPath, binaryExists: true });
  });
});
