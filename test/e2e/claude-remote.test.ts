// The whole chain, as a user runs it: the real Claude Code CLI's Bash tool → rch's hook (installed
// by `rch hook install`) → `rch exec` → rchd (auto-started) → a real loopback sshd worker → the
// build's output in the tool_result and its artifact back in the project. The Makefile prints the
// user it runs as, which on the worker is the worker's own account: proof it ran there.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { rchConfigIn } from "../exec/bedEnv.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureRchBuilt } from "../support/rch-binary.ts";
import { ensureClaude } from "./install.ts";
import { startMockApi } from "./mock-api.ts";
import { runProcess } from "./process.ts";
import { describeRun, runClaude } from "./run-claude.ts";

const PATH = "/usr/local/bin:/usr/bin:/bin";
let fleet: Fleet;
let claudeBin: string;
let rch: string;
let base: string;
let rchEnv: Record<string, string>;

beforeAll(async () => {
  [claudeBin, rch, fleet] = await Promise.all([
    ensureClaude(),
    ensureRchBuilt(),
    startFleet({ workers: 1, toolchains: ["cc"] }),
  ]);
  base = mkdtempSync(join(tmpdir(), "rch-e2e-remote-"));
  rchEnv = rchConfigIn(base, fleet);
}, 300_000);

afterAll(() =>
  cleanUp(
    () =>
      base &&
      runProcess([rch, "daemon", "stop"], { env: { PATH, HOME: base, ...rchEnv }, timeoutMs: 15_000 }),
    () => base && rmSync(base, { recursive: true, force: true }),
    () => fleet?.stop(),
  ),
);

test("Claude Code's Bash tool runs `make` on the worker through rch, with output and artifact back", async () => {
  const home = join(base, "home");
  const project = join(base, "project");
  mkdirSync(home);
  mkdirSync(project);
  writeFileSync(
    join(project, "Makefile"),
    "hello:\n\t@echo built-by-$$(id -un)\n\t@echo artifact > out.txt\n",
  );
  const installed = await runProcess([rch, "hook", "install"], {
    env: { PATH, HOME: home },
    timeoutMs: 30_000,
  });
  expect(installed.exitCode).toBe(0);

  const mock = startMockApi([`make -C ${project} hello`]);
  try {
    const run = await runClaude({
      claudeBin,
      mock,
      cwd: project,
      home,
      allowedTools: ["Bash"],
      env: rchEnv,
      timeoutMs: 60_000,
    });
    const why = describeRun(run);
    expect(run.exitCode, why).toBe(0);
    expect(run.toolResults[0]?.is_error, why).toBe(false);
    const worker = fleet.workers[0]!;
    expect(run.toolResults[0]?.content, why).toContain(`built-by-${worker.user}`);
    expect(run.toolResults[0]?.content, why).not.toContain("running locally");
    expect(existsSync(join(project, "out.txt")), why).toBe(true);
    expect(readFileSync(join(project, "out.txt"), "utf8")).toBe("artifact\n");
  } finally {
    mock.stop();
  }
}, 120_000);
