// rch hook install|uninstall|status|test [--agent NAME | --all]. (The hook itself — bare `rch hook`
// or `rch hook --agent NAME`, what the agents run — never reaches this file: bin/rch.ts
// dispatches it directly to hook/run.ts.)
import type { Command } from "commander";
import pc from "picocolors";
import { AGENT_NAMES, DEFAULT_AGENT_NAME, loadAgent, loadAgents } from "../../hook/agents/index.ts";
import type { AgentAdapter } from "../../hook/agents/types.ts";
import {
  hookCommand,
  hookStatus,
  type InstallResult,
  installHook,
  uninstallHook,
} from "../../hook/install.ts";
import { selfArgv } from "../../shell/self.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";

interface AgentOpts {
  agent?: string;
  all?: boolean;
  trust?: boolean;
}

const names = AGENT_NAMES.join(", ");

/** --agent NAME, --all (every agent found on this machine), or Claude Code by default. */
async function chosen(opts: AgentOpts, everyKnown = false): Promise<AgentAdapter[]> {
  if (opts.agent && opts.all) throw new CliError("give --agent or --all, not both");
  if (opts.all) {
    const all = await loadAgents();
    return everyKnown ? all : all.filter((a) => a.detect(process.env));
  }
  const a = await loadAgent(opts.agent ?? DEFAULT_AGENT_NAME);
  if (!a) throw new CliError(`unknown agent '${opts.agent}' (known: ${names})`);
  return [a];
}

async function install(out: Output, opts: AgentOpts): Promise<number> {
  const agents = await chosen(opts);
  if (agents.length === 0) {
    out.result(`no agent found on this machine (looked for: ${names}); use --agent NAME`, { results: [] });
    return 1;
  }
  const results: (InstallResult & { agent: string; trust?: { ok: boolean; message: string } })[] = [];
  for (const a of agents) {
    const r = installHook(selfArgv(), process.env, a);
    // --trust is the user's explicit consent; agents without a trust step ignore it.
    const trust = opts.trust && a.trust ? await a.trust(r.file, process.env) : undefined;
    results.push({ agent: a.name, ...r, ...(trust ? { trust } : {}) });
  }
  out.result(
    () =>
      agents
        .map((a, i) => {
          const r = results[i]!;
          const what = r.changed ? `installed the rch hook in ${r.file}` : `already installed in ${r.file}`;
          const after = r.trust ? r.trust.message : (a.afterInstall ?? a.afterChange);
          return `${a.title}: ${what}\n  (${after})`;
        })
        .join("\n"),
    { results },
  );
  return results.every((r) => r.trust?.ok !== false) ? 0 : 1;
}

async function uninstall(out: Output, opts: AgentOpts): Promise<number> {
  const agents = await chosen(opts, true);
  const results = agents.map((a) => ({ agent: a.name, ...uninstallHook(process.env, a) }));
  out.result(
    () =>
      agents
        .map((a, i) => {
          const r = results[i]!;
          return r.changed
            ? `${a.title}: removed the rch hook from ${r.file}\n  (${a.afterChange})`
            : `${a.title}: not installed in ${r.file}`;
        })
        .join("\n"),
    { results },
  );
  return 0;
}

/** Without --agent: every known agent. Exit 0 when at least one is installed and none is broken. */
async function status(out: Output, opts: AgentOpts): Promise<number> {
  const agents = opts.agent || opts.all ? await chosen(opts, true) : await loadAgents();
  const all = agents.map((a) => ({
    agent: a.name,
    ...hookStatus(process.env, a),
    warnings: a.warnings?.(process.env) ?? [],
  }));
  for (const [i, s] of all.entries())
    if (s.installed && s.binaryExists && !s.current)
      s.warnings.unshift(
        `the registered command is an older rch's: run rch hook install --agent ${agents[i]!.name} to update it`,
      );
  out.result(
    () =>
      agents
        .map((a, i) => {
          const s = all[i]!;
          const lines = [
            s.installed
              ? `${a.title}: installed in ${s.file}\n  binary: ${s.binary} (${s.binaryExists ? pc.green("exists") : pc.red(`MISSING — reinstall with rch hook install --agent ${a.name}`)})`
              : `${a.title}: not installed (${s.file}); run: rch hook install --agent ${a.name}`,
          ];
          for (const w of s.warnings) lines.push(`  ${pc.yellow("warning:")} ${w}`);
          return lines.join("\n");
        })
        .join("\n"),
    all.length === 1 ? all[0] : { agents: all },
  );
  const installed = all.filter((s) => s.installed);
  return installed.length > 0 && installed.every((s) => s.binaryExists) ? 0 : 1;
}

async function test(
  out: Output,
  command: string | undefined,
  opts: AgentOpts & { mode: string },
): Promise<number> {
  const agent = (await chosen({ agent: opts.agent }))[0]!;
  const line = command ?? "cargo build --release";
  const payload = agent.sample(line, process.cwd(), opts.mode);
  const s = hookStatus(process.env, agent);
  const hookCmd = s.installed && s.command ? s.command : hookCommand(selfArgv(), agent);
  const started = performance.now();
  const proc = Bun.spawn([...agent.hookShell, hookCmd], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
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
        `hook:    ${s.installed ? `as installed in ${s.file}` : `not installed for ${agent.title}; testing this binary's hook`}`,
        `command: ${line}`,
        `exit:    ${code} in ${ms.toFixed(1)} ms`,
        reply ? `reply:   ${JSON.stringify(reply, null, 2)}` : "reply:   (none: the command runs as written)",
        stderr.trim() ? `stderr:  ${stderr.trim()}` : "",
      ]
        .filter(Boolean)
        .join("\n"),
    { agent: agent.name, installed: s.installed, command: line, exitCode: code, ms, reply, stderr },
  );
  return code === 0 ? 0 : 1;
}

export function registerHook(program: Command): void {
  const hook = program.command("hook").description(`the agents' pre-tool hooks (${names})`);
  const agentOpt = ["--agent <name>", `one agent: ${names} (default: ${DEFAULT_AGENT_NAME})`] as const;
  hook
    .command("install")
    .description("register rch in the agent's hook config")
    .option(...agentOpt)
    .option("--all", "every agent found on this machine")
    .option("--trust", "Codex: record that you trust rch's hook (asks your codex via `codex app-server`)")
    .action(action(install));
  hook
    .command("uninstall")
    .description("remove rch's entry from the agent's hook config")
    .option(...agentOpt)
    .option("--all", "every known agent")
    .action(action(uninstall));
  hook
    .command("status")
    .description("is the hook installed (every agent unless --agent), and does its binary exist")
    .option("--agent <name>", `one agent: ${names}`)
    .action(action(status));
  hook
    .command("test [command]")
    .description("feed a sample payload through the installed hook and show the reply")
    .option(...agentOpt)
    .option("--mode <mode>", "permission mode to send (Claude Code)", "default")
    .action(action(test));
}
