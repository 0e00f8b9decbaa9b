// Runs `codex exec` once against the mock, isolated from the machine: minimal environment, its
// own CODEX_HOME and TMPDIR, stdin from /dev/null, a deadline that kills the process group. It
// runs in a private mount namespace (`unshare -m`) whose /etc/hosts points the hosts Codex looks
// up on its own (github, chatgpt) at loopback: refused at once instead of a ~5 s resolver wait
// at exit. No `unshare -n`: the bed's sshd workers listen on the host's loopback.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "../process.ts";
import type { CallOutput, MockResponses } from "./mock.ts";

const PATH = "/usr/local/bin:/usr/bin:/bin";
const LOOPED_HOSTS = "ab.chatgpt.com chatgpt.com api.github.com github.com";

/** config.toml for the mock: a custom provider (the built-in one tries WebSockets for ~7 s
 * first) and an unknown model (plain function tools, among them exec_command). */
export function writeCodexConfig(codexHome: string, mock: MockResponses, model = "mock-model"): void {
  mkdirSync(codexHome, { recursive: true });
  const toml = [
    `model = "${model}"`,
    'model_provider = "mock"',
    "[model_providers.mock]",
    'name = "mock"',
    `base_url = "${mock.url}"`,
    'env_key = "MOCK_API_KEY"',
    'wire_api = "responses"',
    "supports_websockets = false",
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
  ];
  writeFileSync(join(codexHome, "config.toml"), toml.join("\n"));
}

/** The /etc/hosts that answers Codex's own lookups on loopback, written into `dir`. */
export function hostsFile(dir: string): string {
  const hosts = join(dir, "hosts");
  writeFileSync(hosts, `127.0.0.1 localhost ${LOOPED_HOSTS}\n::1 localhost\n`);
  return hosts;
}

/** `argv` in a private mount namespace whose /etc/hosts is `hosts`. */
export function isolated(hosts: string, argv: string[]): string[] {
  const script = 'mount --bind "$1" /etc/hosts && shift && exec "$@"';
  return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "rch-e2e", hosts, ...argv];
}

export interface RunCodexOptions {
  codexBin: string;
  mock: MockResponses;
  cwd: string;
  codexHome: string;
  /** `codex exec --sandbox`; omitted: Codex's default (read-only). */
  sandbox?: "read-only" | "workspace-write" | "danger-full-access";
  /** `-c key=value` overrides. */
  config?: string[];
  bypassHookTrust?: boolean;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface CommandItem {
  command: string;
  exit_code: number | null;
  aggregated_output: string;
}

export interface CodexRun {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The `command_execution` items of the --json stream (the command as rewritten). */
  commands: CommandItem[];
  /** What the model received during this run. */
  outputs: CallOutput[];
}

function commandItems(stdout: string): CommandItem[] {
  const items: CommandItem[] = [];
  for (const line of stdout.split("\n")) {
    try {
      const ev = JSON.parse(line) as { type?: string; item?: { type?: string } & CommandItem };
      if (ev.type === "item.completed" && ev.item?.type === "command_execution") items.push(ev.item);
    } catch {
      // not an event line
    }
  }
  return items;
}

export async function runCodex(o: RunCodexOptions): Promise<CodexRun> {
  const scratch = mkdtempSync(join(tmpdir(), "rch-e2e-codex-run-"));
  try {
    mkdirSync(join(scratch, "tmp"));
    const codex = [o.codexBin, "exec", "--skip-git-repo-check", "--json"];
    if (o.sandbox) codex.push("--sandbox", o.sandbox);
    for (const c of o.config ?? []) codex.push("-c", c);
    if (o.bypassHookTrust) codex.push("--dangerously-bypass-hook-trust");
    codex.push("run it");
    const argv = isolated(hostsFile(scratch), codex);
    const since = o.mock.outputs().length;
    const r = await runProcess(argv, {
      cwd: o.cwd,
      env: {
        PATH,
        HOME: o.codexHome,
        CODEX_HOME: o.codexHome,
        TMPDIR: join(scratch, "tmp"),
        MOCK_API_KEY: "sk-test",
        ...o.env,
      },
      timeoutMs: o.timeoutMs ?? 30_000,
    });
    return { ...r, commands: commandItems(r.stdout), outputs: o.mock.outputs().slice(since) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A run, summarised for assertion messages. */
export function describeCodexRun(r: CodexRun): string {
  return `exit ${r.exitCode}${r.timedOut ? " (timed out)" : ""}\noutputs: ${JSON.stringify(r.outputs, null, 1)}\nstderr: ${r.stderr.slice(-2000)}`;
}

/** Codex keeps a few directories directly in /tmp whatever TMPDIR says (`codex-daemon-<uid>`,
 * `codex-bwrap-synthetic-mount-targets-<uid>`). Call before the tests; the returned function
 * removes those that did not exist then. */
export function trackCodexTmp(): () => void {
  const uid = process.getuid?.() ?? 0;
  const paths = [`/tmp/codex-daemon-${uid}`, `/tmp/codex-bwrap-synthetic-mount-targets-${uid}`];
  const fresh = paths.filter((p) => !existsSync(p));
  return () => {
    for (const p of fresh) rmSync(p, { recursive: true, force: true });
  };
}
