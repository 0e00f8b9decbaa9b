// End-to-end with the real Gemini CLI (offline, headless, against a mock Gemini API): the hook
// registered by `rch hook install --agent gemini` → rewrite → `rch exec` → a real loopback sshd
// worker (test/bed) → output and artifact back, exactly as a user runs it. Each CLI run makes
// several shell calls (its Node start-up is the cost), and each run checks:
//   yolo:     a build runs on the worker in dir_path, its artifact comes back; a failing build
//             gives the model the same text and `Exit Code:` as a run without rch; a non-build
//             line is untouched; a line a deny rule names is still denied (not rewritten past it).
//   default:  a build an allow rule names runs as written; a build no rule allows is denied
//             with or without the rewrite; with a rule by tool name, the build is offloaded.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, startFleet } from "../../bed/fleet.ts";
import { rchConfigIn } from "../../exec/bedEnv.ts";
import { cleanUp } from "../../support/cleanup.ts";
import { ensureRchBuilt } from "../../support/rch-binary.ts";
import { runProcess } from "../process.ts";
import { BASE_PATH, ensureGemini } from "./install.ts";
import { type FunctionResponse, type MockGemini, startMockGemini } from "./mock-gemini.ts";
import { BASE_SETTINGS, describeRun, readSettings, runGemini, writeFile } from "./run-gemini.ts";

const HOOK_NOTE = "Tool input parameters were modified by a hook";
const MAKEFILE = [
  "hello: hello.c",
  "\t@echo built-by-$$(id -un)",
  "\tcc -o hello hello.c",
  "fail:",
  "\t@echo about-to-fail",
  "\t@echo broken-build >&2; exit 3",
  "secret:",
  "\t@touch secret.txt",
  "",
].join("\n");

let fleet: Fleet;
let gemini: string;
let rch: string;
let base: string;
let rchEnv: Record<string, string>;
let mock: MockGemini;

beforeAll(async () => {
  [gemini, rch, fleet] = await Promise.all([
    ensureGemini(),
    ensureRchBuilt(),
    startFleet({ workers: 1, toolchains: ["cc"] }),
  ]);
  base = mkdtempSync(join(tmpdir(), "rch-e2e-gemini-"));
  rchEnv = rchConfigIn(base, fleet);
  mock = startMockGemini();
}, 300_000);

afterAll(() =>
  cleanUp(
    () => mock?.stop(),
    () =>
      base &&
      runProcess([rch, "daemon", "stop"], {
        env: { PATH: BASE_PATH, HOME: base, ...rchEnv },
        timeoutMs: 15_000,
      }),
    () => base && rmSync(base, { recursive: true, force: true }),
    () => fleet?.stop(),
  ),
);

/** A HOME with the base settings, `policies/*.toml` files, and rch's hook installed on top. */
async function home(name: string, policies: Record<string, string> = {}): Promise<string> {
  const dir = join(base, name, "home");
  writeFile(join(dir, ".gemini", "settings.json"), JSON.stringify(BASE_SETTINGS));
  for (const [file, text] of Object.entries(policies))
    writeFile(join(dir, ".gemini", "policies", file), text);
  const r = await runProcess([rch, "hook", "install", "--agent", "gemini"], {
    env: { PATH: BASE_PATH, HOME: join(base, "elsewhere"), GEMINI_CLI_HOME: dir },
    timeoutMs: 30_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  const s = readSettings(dir);
  expect(s.security, "install keeps the other settings").toEqual(BASE_SETTINGS.security);
  expect(JSON.stringify(s.hooks)).toContain(rch);
  return dir;
}

/** A project whose `sub/` holds a tiny C program and the Makefile above. */
function project(name: string): string {
  const dir = join(base, name, "project");
  writeFile(join(dir, "sub", "Makefile"), MAKEFILE);
  writeFile(join(dir, "sub", "hello.c"), "int main(void) { return 0; }\n");
  return dir;
}

/** What the model saw, without the parts that differ run to run (PGID, the hook note). */
function normalized(r: FunctionResponse | undefined): string {
  return (r?.output ?? r?.error ?? "")
    .replace(/^Process Group PGID: \d+\n/m, "")
    .replace(/\n*\[System\][^\n]*$/, "");
}

const allow = (prefix: string) =>
  `[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "${prefix}"\ndecision = "allow"\npriority = 100\n`;
const deny = (prefix: string) =>
  `[[rule]]\ntoolName = "run_shell_command"\ncommandPrefix = "${prefix}"\ndecision = "deny"\npriority = 200\n`;

test("yolo: builds run on the worker in dir_path; failures, non-builds and deny rules as without rch", async () => {
  const h = await home("yolo", { "rules.toml": deny("make secret") });
  const p = project("yolo");
  const calls = [
    { command: "make", description: "build", dir_path: "sub" },
    { command: "make fail", dir_path: "sub" },
    { command: "echo plain-line" },
    { command: "make secret", dir_path: "sub" },
  ];
  mock.enqueue(...calls);
  const run = await runGemini({ bin: gemini, mock, home: h, cwd: p, approvalMode: "yolo", env: rchEnv });
  const why = describeRun(run);
  expect(run.exitCode, why).toBe(0);
  expect(run.responses, why).toHaveLength(4);
  const [built, failed, plain, secret] = run.responses;
  expect(built?.output, why).toContain(`built-by-${fleet.workers[0]!.user}`);
  expect(built?.output, why).toContain(HOOK_NOTE);
  expect(existsSync(join(p, "sub", "hello")), why).toBe(true);
  expect(existsSync(join(p, "hello")), "dir_path kept: nothing built in the root").toBe(false);
  expect(failed?.output, why).toContain("Exit Code: 2");
  expect(failed?.output, why).toContain(HOOK_NOTE);
  expect(plain?.output, why).toContain("plain-line");
  expect(plain?.output, why).not.toContain(HOOK_NOTE);
  expect(secret?.error, why).toContain("denied by policy");
  expect(existsSync(join(p, "sub", "secret.txt")), why).toBe(false);

  // The same failing build without rch (RCH_BYPASS reaches the hook through Gemini's environment).
  const local = project("yolo-local");
  cpSync(join(p, "sub", "Makefile"), join(local, "sub", "Makefile"));
  mock.enqueue(calls[1]!);
  const bare = await runGemini({
    bin: gemini,
    mock,
    home: h,
    cwd: local,
    approvalMode: "yolo",
    env: { ...rchEnv, RCH_BYPASS: "1" },
  });
  expect(bare.responses[0]?.output, describeRun(bare)).not.toContain(HOOK_NOTE);
  expect(normalized(failed)).toBe(normalized(bare.responses[0]));
  expect(normalized(failed)).toContain("broken-build");
}, 120_000);

test("default mode: an allowed build runs as written, an unallowed one is denied either way", async () => {
  const h = await home("default");
  const p = project("default");
  // Via --policy, which Gemini loads instead of ~/.gemini/policies: rch reads gemini's flags too.
  const policy = join(base, "default", "policy.toml");
  writeFileSync(policy, allow("make"));
  mock.enqueue({ command: "make", dir_path: "sub" }, { command: "cc -c hello.c -o late.o", dir_path: "sub" });
  const run = await runGemini({
    bin: gemini,
    mock,
    home: h,
    cwd: p,
    approvalMode: "default",
    args: ["--policy", policy],
    env: rchEnv,
  });
  const why = describeRun(run);
  expect(run.responses, why).toHaveLength(2);
  const [allowed, unallowed] = run.responses;
  const me = Bun.spawnSync(["id", "-un"]).stdout.toString().trim();
  expect(allowed?.output, why).toContain(`built-by-${me}`);
  expect(allowed?.output, why).not.toContain(HOOK_NOTE);
  expect(existsSync(join(p, "sub", "hello")), why).toBe(true);
  expect(unallowed?.error, why).toContain("denied by policy");
  expect(existsSync(join(p, "sub", "late.o")), why).toBe(false);

  // A rule by tool name cannot tell the lines apart: rewritten, allowed, built on the worker.
  const byName = await home("by-name", {
    "shell.toml": '[[rule]]\ntoolName = "run_shell_command"\ndecision = "allow"\npriority = 100\n',
  });
  const q = project("by-name");
  mock.enqueue({ command: "make", dir_path: "sub" });
  const offloaded = await runGemini({
    bin: gemini,
    mock,
    home: byName,
    cwd: q,
    approvalMode: "default",
    env: rchEnv,
  });
  const why2 = describeRun(offloaded);
  expect(offloaded.responses[0]?.output, why2).toContain(`built-by-${fleet.workers[0]!.user}`);
  expect(offloaded.responses[0]?.output, why2).toContain(HOOK_NOTE);
  expect(existsSync(join(q, "sub", "hello")), why2).toBe(true);
}, 120_000);
