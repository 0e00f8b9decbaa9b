// End-to-end: the real Claude Code CLI (offline, against a mock Messages API) with rch's
// PreToolUse hook installed by `rch hook install` into a fresh HOME. Checks the rewrite, that
// the rewritten build really runs, and that the hook never widens permissions.
//
// RCH_LOCAL_ONLY=1 makes `rch exec` run the build locally, so the assertions hold with or
// without a worker fleet (claude-remote.test.ts runs the same chain against a real worker).
// Set RCH_E2E_RCH_BIN to test a prebuilt rch instead of `bun run build`.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRchBuilt } from "../support/rch-binary.ts";
import { ensureClaude } from "./install.ts";
import { type BashInput, startMockApi } from "./mock-api.ts";
import { runProcess } from "./process.ts";
import {
  type ClaudeRun,
  describeRun,
  hookReplies,
  type RunClaudeOptions,
  runClaude,
  writeJson,
} from "./run-claude.ts";

// Each test runs a whole Claude Code session (1–2 s here; its own deadline is 30 s).
setDefaultTimeout(90_000);

const PATH = "/usr/local/bin:/usr/bin:/bin";
const MAKE_OUTPUT = "hello-from-make";
const MARKER = "made-by-make";

let claudeBin = "";
let rchBin = "";
const scratchDirs: string[] = [];

async function locateRch(): Promise<string> {
  const prebuilt = process.env.RCH_E2E_RCH_BIN;
  // rch names itself by its real path in rewrites; compare against the same.
  return realpathSync(prebuilt ?? (await ensureRchBuilt()));
}

interface Scenario {
  home: string;
  project: string;
}

/**
 * A fresh HOME with rch's hook installed on top of `userSettings` (so install must keep them),
 * and a project whose Makefile target `hello` prints a line and leaves a marker file.
 */
async function scenario(userSettings?: object): Promise<Scenario> {
  const base = mkdtempSync(join(tmpdir(), "rch-e2e-"));
  scratchDirs.push(base);
  const home = join(base, "home");
  const project = join(base, "project");
  mkdirSync(home);
  mkdirSync(project);
  writeFileSync(join(project, "Makefile"), `hello:\n\t@echo ${MAKE_OUTPUT}\n\t@touch ${MARKER}\n`);
  const settingsPath = join(home, ".claude", "settings.json");
  if (userSettings) writeJson(settingsPath, userSettings);

  const r = await runProcess([rchBin, "hook", "install"], { env: { PATH, HOME: home }, timeoutMs: 30_000 });
  expect(r.exitCode, `rch hook install: ${r.stdout}\n${r.stderr}`).toBe(0);

  const settings = JSON.parse(readFileSync(settingsPath, "utf8")) as {
    hooks?: { PreToolUse?: { matcher?: string; hooks?: { command?: string }[] }[] };
  };
  const entries = settings.hooks?.PreToolUse ?? [];
  const ours = entries.filter(
    (e) => e.matcher === "Bash" && e.hooks?.some((h) => h.command?.includes(rchBin)),
  );
  expect(ours.length, JSON.stringify(settings)).toBe(1);
  if (userSettings) expect(settings).toMatchObject(userSettings);
  return { home, project };
}

/** One Claude session whose model issues `command` through Bash once, then says "done". */
async function claude(
  s: Scenario,
  command: string | BashInput,
  extra: Partial<RunClaudeOptions> = {},
): Promise<ClaudeRun> {
  const mock = startMockApi([command]);
  try {
    return await runClaude({
      claudeBin,
      mock,
      cwd: s.project,
      home: s.home,
      outputFormat: "stream-json",
      env: { RCH_LOCAL_ONLY: "1" },
      timeoutMs: 30_000,
      ...extra,
    });
  } finally {
    mock.stop();
  }
}

function makeLine(s: Scenario): string {
  return `make -C ${s.project} hello`;
}

function expectRanBuild(run: ClaudeRun, s: Scenario): void {
  const why = describeRun(run);
  expect(run.exitCode, why).toBe(0);
  expect(run.toolResults.length, why).toBe(1);
  expect(run.toolResults[0]?.is_error, why).toBe(false);
  expect(run.toolResults[0]?.content, why).toContain(MAKE_OUTPUT);
  expect(existsSync(join(s.project, MARKER)), why).toBe(true);
}

/** Claude Code's own permission flow refused the line in print mode: nothing ran. */
function expectDenied(run: ClaudeRun, s: Scenario): void {
  const why = describeRun(run);
  expect(run.exitCode, why).toBe(0);
  expect(run.toolResults.length, why).toBe(1);
  expect(run.toolResults[0]?.is_error, why).toBe(true);
  expect(run.toolResults[0]?.content, why).not.toContain(MAKE_OUTPUT);
  expect(existsSync(join(s.project, MARKER)), why).toBe(false);
  expect(run.result?.permission_denials, why).toHaveLength(1);
}

/** The command the hook rewrote the line to, or undefined when it left it alone. */
function rewrittenInput(run: ClaudeRun): Record<string, unknown> | undefined {
  const replies = hookReplies(run).filter((r) => r.output?.updatedInput !== undefined);
  expect(replies.length, describeRun(run)).toBeLessThanOrEqual(1);
  return replies[0]?.output?.updatedInput as Record<string, unknown> | undefined;
}

describe("rch hook inside the real Claude Code CLI", () => {
  beforeAll(async () => {
    [claudeBin, rchBin] = await Promise.all([ensureClaude(), locateRch()]);
  }, 600_000);

  afterAll(() => {
    for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
  });

  test("a non-build command runs as written", async () => {
    const s = await scenario();
    const run = await claude(s, "echo hello-e2e");
    const why = describeRun(run);
    expect(run.exitCode, why).toBe(0);
    expect(run.toolResults[0]?.content, why).toContain("hello-e2e");
    expect(run.toolResults[0]?.is_error, why).toBe(false);
    // The hook ran, succeeded, and said nothing.
    const replies = hookReplies(run);
    expect(replies.length, why).toBeGreaterThanOrEqual(1);
    for (const r of replies) {
      expect(r.exitCode, why).toBe(0);
      expect(r.stdout.trim(), why).toBe("");
    }
  });

  test("a build is rewritten to `rch exec --` with its other input fields intact, and runs", async () => {
    const s = await scenario();
    const input: BashInput = { command: makeLine(s), description: "build hello", timeout: 300_000 };
    // --allowedTools Bash: Claude Code itself allows the rewritten line, whatever rch decides.
    const run = await claude(s, input, { allowedTools: ["Bash"] });
    expectRanBuild(run, s);
    expect(rewrittenInput(run), describeRun(run)).toMatchObject({
      ...input,
      command: `'${rchBin}' exec -- ${makeLine(s)}`,
    });
  });

  describe("permissions are never widened", () => {
    test("a user allow rule for make lets the rewritten build run in -p mode", async () => {
      const s = await scenario({ permissions: { allow: ["Bash(make:*)"] } });
      const run = await claude(s, makeLine(s));
      expectRanBuild(run, s);
      expect(rewrittenInput(run)?.command, describeRun(run)).toContain(" exec -- make -C ");
    });

    test("without an allow rule the build needs approval and does not run", async () => {
      const s = await scenario();
      const run = await claude(s, makeLine(s));
      expectDenied(run, s);
      // 2.1.328 says "This command requires approval"; the recipe saw "… needs approval".
      expect(run.toolResults[0]?.content, describeRun(run)).toMatch(/requires approval|needs approval/);
    });

    test("an exact rule `Bash(make)` does not cover `make -C dir hello`", async () => {
      const s = await scenario({ permissions: { allow: ["Bash(make)"] } });
      expectDenied(await claude(s, makeLine(s)), s);
    });

    test("a deny rule wins over an allow rule", async () => {
      const s = await scenario({ permissions: { allow: ["Bash(make:*)"], deny: ["Bash(make -C:*)"] } });
      expectDenied(await claude(s, makeLine(s)), s);
    });

    test("an allow rule in an untrusted project's settings is not honoured", async () => {
      const s = await scenario();
      const run = await claude(s, makeLine(s), {
        projectSettings: { permissions: { allow: ["Bash(make:*)"] } },
      });
      expectDenied(run, s);
    });

    test("an allow rule in a trusted project's settings is honoured", async () => {
      const s = await scenario();
      // What accepting the trust dialog records.
      writeJson(join(s.home, ".claude.json"), {
        projects: { [s.project]: { hasTrustDialogAccepted: true } },
      });
      const run = await claude(s, makeLine(s), {
        projectSettings: { permissions: { allow: ["Bash(make:*)"] } },
      });
      expectRanBuild(run, s);
    });

    test("bypassPermissions runs the rewritten build", async () => {
      const s = await scenario();
      const run = await claude(s, makeLine(s), { permissionMode: "bypassPermissions" });
      expectRanBuild(run, s);
      expect(rewrittenInput(run)?.command, describeRun(run)).toContain(" exec -- make -C ");
    });
  });
});
