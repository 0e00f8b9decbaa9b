// rch hook install|uninstall|status|test. (Bare `rch hook` — what Claude Code runs — never
// reaches this file: bin/rch.ts dispatches it directly to hook/run.ts.)
import type { Command } from "commander";
import pc from "picocolors";
import { hookStatus, installHook, uninstallHook } from "../../hook/install.ts";
import { prefilterCommand } from "../../hook/prefilter.ts";
import { selfArgv } from "../../shell/self.ts";
import { action } from "../action.ts";
import type { Output } from "../output.ts";

const restartNote = "running Claude Code sessions only see hook changes after a restart";

function install(out: Output): number {
  const r = installHook(selfArgv());
  out.result(
    r.changed
      ? `installed the rch PreToolUse hook in ${r.file}\n(${restartNote})`
      : `already installed in ${r.file}`,
    r,
  );
  return 0;
}

function uninstall(out: Output): number {
  const r = uninstallHook();
  out.result(
    r.changed ? `removed the rch hook from ${r.file}\n(${restartNote})` : `not installed in ${r.file}`,
    r,
  );
  return 0;
}

function status(out: Output): number {
  const s = hookStatus();
  out.result(() => {
    if (!s.installed) return `not installed (${s.file}); run: rch hook install`;
    const bin = s.binaryExists ? pc.green("exists") : pc.red("MISSING — reinstall with rch hook install");
    return `installed in ${s.file}\nbinary: ${s.binary} (${bin})`;
  }, s);
  return s.installed && s.binaryExists ? 0 : 1;
}

async function test(out: Output, command: string | undefined, opts: { mode: string }): Promise<number> {
  const line = command ?? "cargo build --release";
  const payload = {
    session_id: "rch-hook-test",
    transcript_path: "/dev/null",
    cwd: process.cwd(),
    permission_mode: opts.mode,
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: line, description: "rch hook test", timeout: 600000 },
    tool_use_id: "toolu_rch_test",
  };
  const s = hookStatus();
  const hookCmd = s.installed && s.command ? s.command : prefilterCommand(selfArgv());
  const started = performance.now();
  const proc = Bun.spawn(["/bin/sh", "-c", hookCmd], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.write(`${JSON.stringify(payload)}\n`);
  await proc.stdin.end();
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  const reply = stdout.trim() ? (JSON.parse(stdout) as unknown) : null;
  out.result(
    () =>
      [
        `hook:    ${s.installed ? "as installed in settings.json" : "not installed; testing this binary's hook"}`,
        `command: ${line}`,
        `exit:    ${code} in ${ms.toFixed(1)} ms`,
        reply ? `reply:   ${JSON.stringify(reply, null, 2)}` : "reply:   (none: the command runs as written)",
        stderr.trim() ? `stderr:  ${stderr.trim()}` : "",
      ]
        .filter(Boolean)
        .join("\n"),
    { installed: s.installed, command: line, exitCode: code, ms, reply, stderr },
  );
  return code === 0 ? 0 : 1;
}

export function registerHook(program: Command): void {
  const hook = program.command("hook").description("the Claude Code PreToolUse hook");
  hook.command("install").description("register rch in ~/.claude/settings.json").action(action(install));
  hook
    .command("uninstall")
    .description("remove rch's entry from ~/.claude/settings.json")
    .action(action(uninstall));
  hook
    .command("status")
    .description("is the hook installed, and does its binary exist")
    .action(action(status));
  hook
    .command("test [command]")
    .description("feed a sample payload through the installed hook and show the reply")
    .option("--mode <mode>", "permission_mode to send", "default")
    .action(action(test));
}
