// Gemini CLI policy: rch rewrites only when no rule Gemini would apply can tell the rewritten
// arguments from the original ones, and passes whenever it cannot read or interpret a rule.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classify } from "../../src/classify/index.ts";
import { gemini } from "../../src/hook/agents/gemini.ts";
import { parseFlags } from "../../src/hook/agents/gemini-flags.ts";
import { commandPairs, firstSeeing, stableArgs } from "../../src/hook/agents/gemini-judge.ts";

const PREFIX = "'/opt/rch' exec -- ";
let home: string;
let project: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "rch-gemini-policy-"));
  project = join(home, "project");
  mkdirSync(join(home, ".gemini", "policies"), { recursive: true });
  mkdirSync(project);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  mkdirSync(join(home, rel, ".."), { recursive: true });
  writeFileSync(join(home, rel), text);
}

/** The adapter's verdict on `line` (rewritten the way the hook would) with the files as written. */
function permit(line: string, toolInput: Record<string, unknown> = {}): boolean {
  const c = classify(line, { prefix: PREFIX });
  if (c.kind !== "offload") throw new Error(`not offloaded: ${line}`);
  const call = { command: line, toolInput: { command: line, ...toolInput }, cwd: project };
  const p = gemini.permit({
    call,
    commands: c.commands,
    rewritten: c.rewritten,
    env: {
      GEMINI_CLI_HOME: home,
      GEMINI_PROJECT_DIR: project,
      GEMINI_CLI_SYSTEM_SETTINGS_PATH: join(home, "sys.json"),
    },
  });
  return p.rewrite;
}

const rule = (body: string) =>
  `[[rule]]\ntoolName = "run_shell_command"\n${body}\ndecision = "allow"\npriority = 100\n`;

describe("Gemini's argument JSON", () => {
  test("keys sorted, each top-level pair between NULs, nested objects plain", () => {
    expect(stableArgs({ dir_path: "sub", command: "make", x: { b: 1, a: [2] }, u: undefined })).toBe(
      '{\0"command":"make"\0,\0"dir_path":"sub"\0,\0"x":{"a":[2],"b":1}\0}',
    );
  });

  test("each rewritten simple command is paired with its original", () => {
    const line = "cd a && FOO=1 make -j4 2>&1 | tail -3";
    const c = classify(line, { prefix: PREFIX });
    expect(c.kind === "offload" && commandPairs(line, c.rewritten)).toEqual([
      ["FOO=1 make -j4 2>&1", `${PREFIX}FOO=1 make -j4 2>&1`],
      ["FOO=1 make -j4", `${PREFIX}FOO=1 make -j4`],
    ]);
    expect(commandPairs(line, `${line} extra`)).toBeUndefined();
  });

  test("a pattern sees the rewrite when it matches one side only", () => {
    const orig = { command: "make", dir_path: "d" };
    const rew = { command: `${PREFIX}make`, dir_path: "d" };
    const pairs: [string, string][] = [["make", `${PREFIX}make`]];
    expect(firstSeeing([/"dir_path":"d"/, /"command":"/], orig, rew, pairs)).toBeUndefined();
    expect(firstSeeing([/"command":"make/], orig, rew, pairs)?.source).toBe('"command":"make');
    expect(firstSeeing([/rch/], orig, rew, pairs)?.source).toBe("rch");
  });
});

describe("when rch rewrites for Gemini CLI", () => {
  test("no rules, or rules by tool name only: the rewrite is judged like the original", () => {
    expect(permit("make")).toBe(true);
    write(
      ".gemini/policies/a.toml",
      `${rule("")}\n[[rule]]\ntoolName = "*"\ndecision = "deny"\npriority = 1\n`,
    );
    write(
      ".gemini/settings.json",
      JSON.stringify({ tools: { allowed: ["run_shell_command"], exclude: ["x"] } }),
    );
    expect(permit("make", { dir_path: "sub" })).toBe(true);
  });

  test("a user commandPrefix rule for the build: pass (it would no longer match)", () => {
    write(".gemini/policies/a.toml", rule('commandPrefix = "make"'));
    expect(permit("make -j4")).toBe(false);
    expect(permit("cargo build")).toBe(true);
  });

  test("a prefix rule for another simple command of the line keeps matching: rewrite", () => {
    write(".gemini/policies/a.toml", rule('commandPrefix = ["cd", "git status"]'));
    expect(permit("cd sub && make")).toBe(true);
  });

  test("commandRegex and argsPattern are judged on both lines", () => {
    write(".gemini/policies/a.toml", rule('commandRegex = ".*"'));
    expect(permit("make")).toBe(true);
    write(".gemini/policies/a.toml", rule('commandRegex = "make"'));
    expect(permit("make")).toBe(false);
    write(".gemini/policies/a.toml", rule('argsPattern = "exec --"'));
    expect(permit("make")).toBe(false);
    write(
      ".gemini/policies/a.toml",
      `[[safety_checker]]\ntoolName = "*"\nargsPattern = "^\\\\{\\\\x00\\"command\\":\\"make"\npriority = 1\n`,
    );
    expect(permit("make")).toBe(false);
  });

  test("admin-style policy paths from settings, tools.allowed and tools.core narrowing", () => {
    write("extra/p.toml", rule('commandPrefix = "make"'));
    write("sys.json", JSON.stringify({ adminPolicyPaths: [join(home, "extra")] }));
    expect(permit("make")).toBe(false);
    rmSync(join(home, "sys.json"));
    write("project/.gemini/settings.json", JSON.stringify({ tools: { core: ["run_shell_command(make)"] } }));
    expect(permit("make")).toBe(false);
    expect(permit("cargo build")).toBe(true);
  });

  test("anything rch cannot read or interpret: pass", () => {
    write(".gemini/policies/a.toml", "[[rule]\n");
    expect(permit("make")).toBe(false);
    write(".gemini/policies/a.toml", rule('argsPattern = "("'));
    expect(permit("make")).toBe(false);
    rmSync(join(home, ".gemini/policies/a.toml"));
    write(".gemini/settings.json", '{ // a comment\n "tools": {} }');
    expect(permit("make")).toBe(false);
    write(".gemini/settings.json", JSON.stringify({ security: { enableConseca: true } }));
    expect(permit("make")).toBe(false);
    write(
      ".gemini/settings.json",
      JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } }),
    );
    expect(permit("make")).toBe(true);
  });

  test("gemini's own flags: --policy files/dirs and --allowed-tools, in both spellings", () => {
    expect(
      parseFlags(
        [
          "node",
          "gemini.js",
          "--policy",
          "a.toml,b",
          "--admin-policy=/c",
          "--allowed-tools",
          "run_shell_command(make)",
          "-y",
        ],
        "/w",
      ),
    ).toEqual({ policyPaths: ["/w/a.toml", "/w/b", "/c"], toolEntries: ["run_shell_command(make)"] });
    expect(parseFlags(["--allowedTools=x,y", "--adminPolicy", "p"], "/w")).toEqual({
      policyPaths: ["/w/p"],
      toolEntries: ["x", "y"],
    });
  });
});
