import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codex } from "../../src/hook/agents/codex.ts";
import { loadAgent } from "../../src/hook/agents/index.ts";
import { decide } from "../../src/hook/decide.ts";
import { hookStatus, installHook, uninstallHook } from "../../src/hook/install.ts";
import { replyJson } from "../../src/hook/reply.ts";

/** The payload exactly as Codex 0.171.0 sends it (captured from the real client). */
const payload = (command: string, mode = "bypassPermissions") => ({
  session_id: "01a241a3-d5a2-7773-bb3f-992efe819d87",
  turn_id: "01a241a3-d618-7621-bd4c-7491c061f5ea",
  transcript_path: "/h/sessions/rollout.jsonl",
  cwd: "/work/p",
  hook_event_name: "PreToolUse",
  model: "mock-model",
  permission_mode: mode,
  tool_name: "Bash",
  tool_input: { command },
  tool_use_id: "call_1",
});

const PREFIX = "'/opt/rch' exec -- ";
function replyFor(command: string, mode?: string): unknown {
  const parsed = codex.parse(payload(command, mode));
  if (!parsed.ok) return `not parsed: ${parsed.reason}`;
  const d = decide(parsed.call, {
    prefix: PREFIX,
    threshold: 0.8,
    permit: (q) => codex.permit({ ...q, env: {} }),
  });
  const json = replyJson(codex, parsed.call, d);
  return json === undefined ? undefined : JSON.parse(json);
}

describe("codex adapter", () => {
  test("is registered", async () => expect(await loadAgent("codex")).toBe(codex));

  test("bypassPermissions: a build is rewritten with allow + updatedInput {command} only", () => {
    expect(replyFor("make -j4")).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        updatedInput: { command: `${PREFIX}make -j4` },
      },
    });
  });

  test("a non-build line gets no reply", () => expect(replyFor("ls -la")).toBeUndefined());

  test.each(["default", "acceptEdits", "plan", "dontAsk", "somethingNew"])(
    "mode %s: no rewrite (an allow could skip a prompt)",
    (mode) => expect(replyFor("make -j4", mode)).toBeUndefined(),
  );

  test("no permission_mode: no rewrite", () => {
    const p: Record<string, unknown> = payload("make");
    delete p.permission_mode;
    const parsed = codex.parse(p);
    expect(parsed.ok).toBe(true);
    if (parsed.ok)
      expect(codex.permit({ call: parsed.call, commands: [], rewritten: "x", env: {} }).rewrite).toBe(false);
  });

  test("other tools and events, and malformed payloads, are not calls", () => {
    expect(codex.parse({ ...payload("make"), tool_name: "apply_patch" }).ok).toBe(false);
    expect(codex.parse({ ...payload("make"), hook_event_name: "PostToolUse" }).ok).toBe(false);
    expect(codex.parse({ ...payload("make"), tool_input: { command: ["make"] } }).ok).toBe(false);
    expect(codex.parse("make").ok).toBe(false);
  });

  test("sample() is a payload the adapter parses", () => {
    const parsed = codex.parse(codex.sample("make", "/p", "bypassPermissions"));
    expect(parsed.ok && parsed.call.command).toBe("make");
  });

  test("hookShell is bash -c", () => expect(codex.hookShell).toEqual(["/bin/bash", "-c"]));
});

describe("codex registration and status", () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  /** Set by installTrusted(): config.toml then also records trust in rch's hook. */
  let trusted = false;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "rch-hook-codex-"));
    env = { HOME: home, CODEX_HOME: join(home, "ch") };
    trusted = false;
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  const configToml = (text: string) => {
    mkdirSync(join(home, "ch"), { recursive: true });
    const key = `${join(home, "ch", "hooks.json")}:pre_tool_use:0:0`;
    const trust = trusted ? `[hooks.state."${key}"]\ntrusted_hash = "sha256:00"\n` : "";
    writeFileSync(join(home, "ch", "config.toml"), text + trust);
  };
  const installTrusted = () => {
    installHook(["/opt/rch"], env, codex);
    trusted = true;
    configToml("");
  };

  test("install writes $CODEX_HOME/hooks.json (timeout in seconds), keeps other hooks, uninstall removes it", () => {
    mkdirSync(join(home, "ch"));
    const other = { matcher: "Bash", hooks: [{ type: "command", command: "audit.sh" }] };
    writeFileSync(join(home, "ch", "hooks.json"), JSON.stringify({ hooks: { PreToolUse: [other] } }));
    const r = installHook(["/opt/rch"], env, codex);
    expect(r.file).toBe(join(home, "ch", "hooks.json"));
    const written = JSON.parse(readFileSync(r.file, "utf8"));
    expect(written.hooks.PreToolUse[0]).toEqual(other);
    const ours = written.hooks.PreToolUse[1];
    expect(ours.matcher).toBe("Bash");
    expect(ours.hooks[0].timeout).toBe(10);
    expect(ours.hooks[0].command).toContain("exec '/opt/rch' hook --agent 'codex'");
    expect(installHook(["/opt/rch"], env, codex).changed).toBe(false);
    expect(hookStatus(env, codex).installed).toBe(true);
    expect(uninstallHook(env, codex).changed).toBe(true);
    expect(JSON.parse(readFileSync(r.file, "utf8")).hooks.PreToolUse).toEqual([other]);
  });

  test("~/.codex without CODEX_HOME; detect follows the directory", () => {
    const e = { HOME: home };
    expect(codex.registration.file(e)).toBe(join(home, ".codex", "hooks.json"));
    expect(codex.detect(e)).toBe(false);
    mkdirSync(join(home, ".codex"));
    expect(codex.detect(e)).toBe(true);
  });

  test("warnings: none while rch's hook is not installed for Codex", () => {
    configToml("sandbox_mode = [broken\n");
    expect(codex.warnings?.(env)).toEqual([]);
  });

  test("warnings: default and workspace-write sandboxes without network; none when allowed", () => {
    installTrusted();
    expect(codex.warnings?.(env)?.[0]).toContain("read-only sandbox (the default)");
    configToml('sandbox_mode = "workspace-write"\n');
    expect(codex.warnings?.(env)?.[0]).toContain("sandbox_workspace_write.network_access=true");
    configToml('sandbox_mode = "workspace-write"\n[sandbox_workspace_write]\nnetwork_access = true\n');
    expect(codex.warnings?.(env)).toEqual([]);
    configToml('sandbox_mode = "danger-full-access"\n');
    expect(codex.warnings?.(env)).toEqual([]);
  });

  test("warnings: an installed hook without recorded trust", () => {
    configToml('sandbox_mode = "danger-full-access"\n');
    installHook(["/opt/rch"], env, codex);
    expect(codex.warnings?.(env)?.[0]).toContain("no trust recorded");
    const key = `${join(home, "ch", "hooks.json")}:pre_tool_use:0:0`;
    configToml(`sandbox_mode = "danger-full-access"\n[hooks.state."${key}"]\ntrusted_hash = "sha256:00"\n`);
    expect(codex.warnings?.(env)).toEqual([]);
  });

  test("a broken config.toml is a warning, not a crash", () => {
    installHook(["/opt/rch"], env, codex);
    configToml("sandbox_mode = [unterminated\n");
    expect(codex.warnings?.(env)?.[0]).toContain("not valid TOML");
    configToml("sandbox_mode = 3\n");
    expect(codex.warnings?.(env)?.[0]).toContain("unexpected sandbox settings");
    rmSync(join(home, "ch", "config.toml"));
    mkdirSync(join(home, "ch", "config.toml"));
    expect(codex.warnings?.(env)?.[0]).toContain("cannot read");
  });
});
