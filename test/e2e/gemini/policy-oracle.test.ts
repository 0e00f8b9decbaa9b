// rch's Gemini policy check against Gemini CLI's own policy engine (the installed 0.61.0 bundle,
// run under node by policy-oracle.mjs): for a grid of rule sets × build lines × arguments, every
// time the adapter says "rewrite", the real engine reaches the same decision for the original and
// the rewritten arguments in all four approval modes, interactive and headless. The grid also
// holds cases where the decisions differ, so the check has something to catch.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { classify } from "../../../src/classify/index.ts";
import { gemini } from "../../../src/hook/agents/gemini.ts";
import { runProcess } from "../process.ts";
import { BASE_PATH, ensureGemini } from "./install.ts";

const PREFIX = "'/opt/rch dir/rch' exec -- ";
const rule = (decision: string, body: string, priority = 100) =>
  `[[rule]]\ntoolName = "run_shell_command"\n${body}\ndecision = "${decision}"\npriority = ${priority}\n`;

/** Each set: policy TOML in ~/.gemini/policies and settings (written for rch, passed to Gemini). */
const SETS: { toml?: string; settings?: Record<string, unknown> }[] = [
  {},
  { toml: rule("allow", "") },
  { toml: rule("deny", "") },
  { toml: rule("allow", 'commandPrefix = "make"') },
  { toml: rule("allow", "") + rule("deny", 'commandPrefix = "make secret"', 200) },
  { toml: rule("allow", 'commandPrefix = ["cd", "echo"]') },
  { toml: rule("allow", 'commandRegex = ".*"') },
  { toml: rule("ask_user", 'commandRegex = "make.*"', 300) + rule("allow", "") },
  { toml: rule("allow", 'argsPattern = "\\"dir_path\\":\\"sub\\""') },
  { toml: rule("allow", "") + rule("deny", 'argsPattern = "exec"', 200) },
  { toml: rule("allow", 'commandPrefix = ["cargo build", "make"]\nmodes = ["default"]') },
  { toml: rule("deny", 'commandPrefix = "make"\ninteractive = false', 200) + rule("allow", "") },
  { settings: { tools: { allowed: ["run_shell_command(make)", "run_shell_command(cd)"] } } },
];
const LINES = [
  "make",
  "make -j4 all",
  "make secret",
  "cd sub && make",
  "FOO=1 make -j4 2>&1 | tail -3",
  "cargo build --release",
  "time make",
  "cc -c x.c -o x.o && echo done",
];
const INPUTS: Record<string, unknown>[] = [{ description: "d" }, { dir_path: "sub" }];

let base = "";
let bundle = "";
beforeAll(async () => {
  bundle = dirname(realpathSync(await ensureGemini()));
  base = mkdtempSync(join(tmpdir(), "rch-e2e-gemini-oracle-"));
}, 300_000);
afterAll(() => base && rmSync(base, { recursive: true, force: true }));

test("whenever rch rewrites, Gemini's policy engine decides the same for both lines", async () => {
  const project = join(base, "project");
  mkdirSync(join(project, "sub"), { recursive: true });
  const sets = SETS.map((s, i) => {
    const home = join(base, `home${i}`);
    mkdirSync(join(home, ".gemini", "policies"), { recursive: true });
    if (s.toml) writeFileSync(join(home, ".gemini", "policies", "p.toml"), s.toml);
    writeFileSync(join(home, ".gemini", "settings.json"), JSON.stringify(s.settings ?? {}));
    return { home, settings: s.settings ?? {} };
  });
  const cases: {
    set: number;
    orig: Record<string, unknown>;
    rew: Record<string, unknown>;
    rewrite: boolean;
  }[] = [];
  for (const [i, s] of sets.entries()) {
    const env = {
      GEMINI_CLI_HOME: s.home,
      GEMINI_PROJECT_DIR: project,
      GEMINI_CLI_SYSTEM_SETTINGS_PATH: join(base, "none.json"),
      GEMINI_CLI_SYSTEM_DEFAULTS_PATH: join(base, "none.json"),
    };
    for (const line of LINES) {
      const c = classify(line, { prefix: PREFIX });
      if (c.kind !== "offload") throw new Error(`not offloaded: ${line}`);
      for (const input of INPUTS) {
        const orig = { command: line, ...input };
        const call = { command: line, toolInput: orig, cwd: project };
        const p = gemini.permit({ call, commands: c.commands, rewritten: c.rewritten, env });
        cases.push({ set: i, orig, rew: { ...orig, command: c.rewritten }, rewrite: p.rewrite });
      }
    }
  }
  const request = join(base, "request.json");
  const answerFile = join(base, "answer.json");
  const probes = cases.flatMap((c) => [
    { set: c.set, args: c.orig },
    { set: c.set, args: c.rew },
  ]);
  writeFileSync(request, JSON.stringify({ sets, probes }));
  const r = await runProcess(
    ["node", join(import.meta.dir, "policy-oracle.mjs"), bundle, request, answerFile],
    {
      cwd: project,
      env: { PATH: BASE_PATH, HOME: base },
      timeoutMs: 60_000,
    },
  );
  expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
  const answer = JSON.parse(readFileSync(answerFile, "utf8")) as string[][];
  expect(answer).toHaveLength(probes.length);

  let rewrites = 0;
  let differing = 0;
  for (const [k, c] of cases.entries()) {
    const [orig, rew] = [answer[2 * k]!, answer[2 * k + 1]!];
    const same = JSON.stringify(orig) === JSON.stringify(rew);
    if (!same) differing++;
    if (!c.rewrite) continue;
    rewrites++;
    expect({ case: c, rew }).toEqual({ case: c, rew: orig });
  }
  // The rules really reached the engine: `make` is allowed in default mode by set 3 only.
  const at = (set: number) =>
    answer[2 * cases.findIndex((c) => c.set === set && c.orig.command === "make")]![0];
  expect([at(0), at(3)]).toEqual(["ask_user", "allow"]);
  expect(rewrites).toBeGreaterThan(cases.length / 3);
  expect(differing).toBeGreaterThan(cases.length / 10);
}, 120_000);
