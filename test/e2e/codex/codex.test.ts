// The whole chain with the real Codex CLI: `codex exec` (offline, against the mock) → its shell
// tool → rch's hook as `rch hook install --agent codex` registered it → `rch exec` → rchd → a
// real loopback sshd worker → what the model receives. The Makefile's `who.txt` records the
// account it ran as, which on the worker is the worker's own: proof the build ran there.
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Fleet, startFleet } from "../../bed/fleet.ts";
import { rchConfigIn } from "../../exec/bedEnv.ts";
import { cleanUp } from "../../support/cleanup.ts";
import { ensureRchBuilt } from "../../support/rch-binary.ts";
import { runProcess } from "../process.ts";
import { runTurn } from "./app-server.ts";
import { ensureCodex } from "./install.ts";
import { type MockResponses, startMockResponses } from "./mock.ts";
import { type CodexRun, describeCodexRun, runCodex, trackCodexTmp, writeCodexConfig } from "./run-codex.ts";

setDefaultTimeout(60_000);
const PATH = "/usr/local/bin:/usr/bin:/bin";
let fleet: Fleet;
let codexBin: string;
let rch: string;
let base: string;
let mock: MockResponses;
let rchEnv: Record<string, string>;
let serial = 0;
const removeCodexTmp = trackCodexTmp();

const MAKEFILE = [
  "hello:",
  "\t@echo hello-from-make",
  "who.txt:",
  "\t@id -un > who.txt",
  "\t@echo wrote who.txt",
  "fail:",
  "\t@echo about-to-fail; echo failing-on-stderr >&2; exit 3",
  "",
].join("\n");

beforeAll(async () => {
  [codexBin, rch, fleet] = await Promise.all([
    ensureCodex(),
    ensureRchBuilt(),
    startFleet({ workers: 1, toolchains: ["cc"] }),
  ]);
  base = mkdtempSync(join(tmpdir(), "rch-e2e-codex-"));
  rchEnv = rchConfigIn(base, fleet);
  // rchd runs outside any agent sandbox, as on a workstation where rch has been used before.
  const started = await runProcess([rch, "daemon", "start"], { env: daemonEnv(), timeoutMs: 15_000 });
  if (started.exitCode !== 0) throw new Error(`rch daemon start: ${started.stderr}`);
  mock = startMockResponses();
}, 300_000);

afterAll(() =>
  cleanUp(
    () => mock?.stop(),
    () => base && runProcess([rch, "daemon", "stop"], { env: daemonEnv(), timeoutMs: 15_000 }),
    () => base && rmSync(base, { recursive: true, force: true }),
    () => fleet?.stop(),
    removeCodexTmp,
  ),
);

// A test that failed mid-run may leave calls queued; the next one must not inherit them.
beforeEach(() => mock.clear());

function daemonEnv(): Record<string, string> {
  return { PATH, HOME: join(base, "daemon-home"), ...rchEnv };
}

/** A fresh project and CODEX_HOME with rch's hook installed by the real CLI. `trust`: through
 * `--trust` (codex app-server); otherwise the hook stays untrusted. */
async function setup(trust: boolean, model?: string): Promise<{ project: string; codexHome: string }> {
  const dir = join(base, `s${++serial}`);
  const project = join(dir, "project");
  const codexHome = join(dir, "codex-home");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "Makefile"), MAKEFILE);
  writeCodexConfig(codexHome, mock, model);
  const argv = [rch, "hook", "install", "--agent", "codex", ...(trust ? ["--trust"] : [])];
  const r = await runProcess(argv, {
    cwd: project,
    env: { PATH: `${dirname(codexBin)}:${PATH}`, HOME: codexHome, CODEX_HOME: codexHome },
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stdout}${r.stderr}`);
  return { project, codexHome };
}

function run(
  s: { project: string; codexHome: string },
  calls: string[],
  opts: Partial<Parameters<typeof runCodex>[0]> = {},
): Promise<CodexRun> {
  mock.enqueue(...calls);
  return runCodex({ codexBin, mock, cwd: s.project, codexHome: s.codexHome, env: rchEnv, ...opts });
}

/** The parts of a function_call_output that do not vary between runs: exit code and output lines
 * (sorted: stdout and stderr arrive on separate pipes, their interleaving is not fixed). */
function essence(output: string): { exit: string | undefined; lines: string[] } {
  const exit = /Process exited with code (\d+)/.exec(output)?.[1];
  const text = output.slice(output.indexOf("Output:\n") + "Output:\n".length);
  return { exit, lines: text.split("\n").filter(Boolean).sort() };
}

const rewritten = (r: CodexRun, i: number) => r.commands[i]?.command.includes("' exec -- ") === true;
const SANDBOX_LINE = "rch: running locally: the sandbox forbids sockets";

describe("Codex CLI through rch", () => {
  test("builds run on the worker; the model sees what a local run shows, failing exit code included; other lines untouched", async () => {
    const s = await setup(true);
    const calls = ["make hello", "make who.txt", "make fail", "echo plain-line"];
    const remote = await run(s, calls, { sandbox: "danger-full-access" });
    const why = describeCodexRun(remote);
    expect(remote.exitCode, why).toBe(0);
    expect(remote.outputs, why).toHaveLength(4);
    expect(
      [0, 1, 2, 3].map((i) => rewritten(remote, i)),
      why,
    ).toEqual([true, true, true, false]);
    expect(readFileSync(join(s.project, "who.txt"), "utf8").trim()).toBe(fleet.workers[0]!.user);
    for (const o of remote.outputs) expect(o.output, why).not.toContain("running locally");
    expect(remote.outputs[3]!.output).toContain("plain-line");

    const local = await run(s, ["make hello", "make fail"], {
      sandbox: "danger-full-access",
      env: { ...rchEnv, RCH_BYPASS: "1" },
    });
    expect(
      local.commands.map((c) => c.command.includes("exec --")),
      describeCodexRun(local),
    ).toEqual([false, false]);
    expect(essence(remote.outputs[0]!.output)).toEqual(essence(local.outputs[0]!.output));
    expect(essence(remote.outputs[2]!.output)).toEqual(essence(local.outputs[1]!.output));
    expect(essence(remote.outputs[2]!.output).exit).toBe("2");
    expect(remote.commands[2]?.exit_code).toBe(2);
  });

  test("code mode (Codex's catalogued models): exec_command called from the model's script is rewritten too", async () => {
    const s = await setup(true, "gpt-6.2-sol");
    const r = await run(s, ["make who.txt"], { sandbox: "danger-full-access" });
    const why = describeCodexRun(r);
    expect(r.outputs[0]?.output, why).toContain("Script completed");
    expect(r.outputs[0]?.output, why).toContain("wrote who.txt");
    expect(r.outputs[0]?.output, why).not.toContain("running locally");
    expect(readFileSync(join(s.project, "who.txt"), "utf8").trim()).toBe(fleet.workers[0]!.user);
  });

  test("an untrusted hook is skipped by Codex; --dangerously-bypass-hook-trust runs it", async () => {
    const s = await setup(false);
    const skipped = await run(s, ["make hello"], { sandbox: "danger-full-access" });
    expect(skipped.outputs[0]?.output, describeCodexRun(skipped)).toContain("hello-from-make");
    expect(rewritten(skipped, 0)).toBe(false);
    const bypassed = await run(s, ["make who.txt"], { sandbox: "danger-full-access", bypassHookTrust: true });
    expect(rewritten(bypassed, 0), describeCodexRun(bypassed)).toBe(true);
    expect(readFileSync(join(s.project, "who.txt"), "utf8").trim()).toBe(fleet.workers[0]!.user);
  });

  describe("sandboxes", () => {
    test.each([
      ["read-only (Codex's default)", undefined],
      ["workspace-write without network", "workspace-write"],
    ] as const)(
      "%s: the build runs locally at once, with the one line saying how to allow it",
      async (_n, sandbox) => {
        const s = await setup(true);
        const r = await run(s, ["make hello"], sandbox ? { sandbox } : {});
        const why = describeCodexRun(r);
        expect(rewritten(r, 0), why).toBe(true);
        const out = r.outputs[0]?.output ?? "";
        expect(out, why).toContain("Process exited with code 0");
        expect(out, why).toContain("hello-from-make");
        expect(
          out.split("\n").filter((l) => l.startsWith("rch: ")),
          why,
        ).toEqual([expect.stringContaining(SANDBOX_LINE) as unknown as string]);
        expect(out, why).toContain("sandbox_workspace_write.network_access=true");
      },
    );

    test("workspace-write with network_access=true (approval on-request): the build runs on the worker", async () => {
      const s = await setup(true);
      const r = await run(s, ["make who.txt"], {
        sandbox: "workspace-write",
        config: ["sandbox_workspace_write.network_access=true", 'approval_policy="on-request"'],
      });
      const why = describeCodexRun(r);
      expect(rewritten(r, 0), why).toBe(true);
      expect(r.outputs[0]?.output, why).not.toContain("running locally");
      expect(existsSync(join(s.project, "who.txt")), why).toBe(true);
      expect(readFileSync(join(s.project, "who.txt"), "utf8").trim()).toBe(fleet.workers[0]!.user);
    });
  });

  // `codex exec` always reports bypassPermissions; the interactive clients (TUI, IDE) run on
  // `codex app-server`, where the approval policy can ask.
  describe("interactive sessions (codex app-server)", () => {
    const who = (project: string) => readFileSync(join(project, "who.txt"), "utf8").trim();

    test("approval on-request: permission_mode is not bypassPermissions, rch stays out; Codex's approval still asked", async () => {
      const s = await setup(true);
      mock.enqueue("make who.txt", {
        cmd: "make hello",
        sandbox_permissions: "require_escalated",
        justification: "build",
      });
      const t = await runTurn({
        codexBin,
        mock,
        cwd: s.project,
        codexHome: s.codexHome,
        env: rchEnv,
        approvalPolicy: "on-request",
        sandbox: "workspace-write",
      });
      const why = JSON.stringify(t, null, 1);
      expect(t.completed, why).toBe(true);
      expect(t.commands, why).toEqual(["/bin/bash -lc 'make who.txt'", "/bin/bash -lc 'make hello'"]);
      expect(t.approvals, why).toHaveLength(1);
      expect(who(s.project)).toBe(Bun.spawnSync(["id", "-un"]).stdout.toString().trim());
    });

    test("approval never: rewritten, the build runs on the worker", async () => {
      const s = await setup(true);
      mock.enqueue("make who.txt");
      const t = await runTurn({
        codexBin,
        mock,
        cwd: s.project,
        codexHome: s.codexHome,
        env: rchEnv,
        approvalPolicy: "never",
        sandbox: "danger-full-access",
      });
      const why = JSON.stringify(t, null, 1);
      expect(t.completed, why).toBe(true);
      expect(t.commands[0], why).toContain("' exec -- make who.txt");
      expect(t.approvals, why).toEqual([]);
      expect(who(s.project)).toBe(fleet.workers[0]!.user);
    });
  });
});
