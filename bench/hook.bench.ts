// The hook exactly as `rch hook install` registers it, run the way Claude Code runs it:
// `/bin/sh -c "<command>"` with the PreToolUse payload on stdin (design §8: non-build median
// ≤ 2 × `/bin/sh -c true`, build median ≤ 10 ms). All three are measured side by side in one
// hyperfine run so machine noise hits them alike.
// Run: bun run build && bun bench/hook.bench.ts
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const rch = resolve(import.meta.dir, "../dist/rch");
const dir = mkdtempSync(join(tmpdir(), "rch-hook-bench-"));
const runs = Number(process.env.RUNS ?? 300);

const install = Bun.spawnSync([rch, "hook", "install"], { env: { ...process.env, HOME: dir } });
if (install.exitCode !== 0) throw new Error(`rch hook install failed: ${install.stderr}`);
const settings = JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8"));
const hookCommand: string = settings.hooks.PreToolUse[0].hooks[0].command;

// A payload shaped like Claude Code 2.1's (field order and size as captured in claude-code-e2e.md).
const payload = (command: string) =>
  JSON.stringify({
    session_id: "7bdd35e2-edcb-4850-be63-3c356faddd36",
    transcript_path: `${dir}/.claude/projects/-work-app/7bdd35e2-edcb-4850-be63-3c356faddd36.jsonl`,
    cwd: "/work/app",
    prompt_id: "065c03c3-5e8e-48c6-8737-424d15dc2171",
    permission_mode: "default",
    effort: { level: "medium" },
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command, description: "run it" },
    tool_use_id: "toolu_01",
  });
writeFileSync(join(dir, "nonbuild.json"), `${payload("git status --short")}\n`);
writeFileSync(join(dir, "build.json"), `${payload("cargo build --release 2>&1 | tail -20")}\n`);

// Bun's own floor: a binary compiled with rch's flags that only reads stdin and exits, so the
// report can tell the runtime's start-up from rch's work on top of it.
const floorSrc = join(dir, "floor.ts");
writeFileSync(floorSrc, 'require("node:fs").readFileSync(0);\n');
const floor = join(dir, "floor");
const built = Bun.spawnSync(
  [
    process.execPath,
    "build",
    "--compile",
    "--minify",
    "--bytecode",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    floorSrc,
    "--outfile",
    floor,
  ],
  { stdout: "pipe", stderr: "pipe" },
);
if (built.exitCode !== 0) throw new Error(`building the floor binary failed: ${built.stderr}`);

const out = join(dir, "hyperfine.json");
const cmds = [
  `/bin/sh -c true < ${dir}/nonbuild.json`,
  `/bin/sh -c "$RCH_HOOK_CMD" < ${dir}/nonbuild.json`,
  `/bin/sh -c "$RCH_HOOK_CMD" < ${dir}/build.json`,
  `${floor} < ${dir}/build.json`,
];
// hyperfine's default mode runs each command through `sh -c` (needed for the `<` redirection)
// and subtracts the measured cost of spawning that outer shell.
const hf = Bun.spawnSync(
  ["hyperfine", "--warmup", "30", "--runs", String(runs), "--export-json", out, ...cmds],
  {
    env: { ...process.env, HOME: dir, RCH_HOOK_CMD: hookCommand },
    stderr: "pipe",
    stdout: "pipe",
  },
);
if (hf.exitCode !== 0) throw new Error(`hyperfine failed: ${hf.stderr}`);
const check = Bun.spawnSync(["/bin/sh", "-c", hookCommand], {
  stdin: Bun.file(join(dir, "build.json")),
  env: { HOME: dir },
});
if (!check.stdout.toString().includes("exec -- cargo build"))
  throw new Error("the hook did not rewrite the build payload");
const results: { median: number }[] = JSON.parse(readFileSync(out, "utf8")).results;
const [base, nonBuild, build, bunFloor] = results.map((r) => r.median * 1000) as [
  number,
  number,
  number,
  number,
];
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
console.log(`hook bench (${runs} runs each, medians, side by side)`);
console.log(`  /bin/sh -c true                 ${fmt(base)}`);
console.log(
  `  hook, non-build command         ${fmt(nonBuild)}   ratio ${(nonBuild / base).toFixed(2)} (target ≤ 2.00)`,
);
console.log(`  hook, build command             ${fmt(build)}   (target ≤ 10 ms)`);
console.log(
  `  bare compiled Bun, reads stdin  ${fmt(bunFloor)}   (the runtime's floor; rch adds ${fmt(build - bunFloor)})`,
);
