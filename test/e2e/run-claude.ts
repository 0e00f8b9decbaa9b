// Runs the real Claude Code CLI once in print mode against the mock API, isolated from the
// machine it runs on: minimal environment, fresh HOME and TMPDIR, stdin from /dev/null, and a hard
// timeout that kills the whole process group. Follows the verified recipe in claude-code-e2e.md.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { MockApi, ToolResult } from "./mock-api.ts";
import { runProcess } from "./process.ts";

export interface RunClaudeOptions {
  claudeBin: string;
  mock: MockApi;
  prompt?: string;
  /** Working directory of the session (and of the Bash commands it runs). */
  cwd: string;
  /**
   * HOME for the session. Pass one prepared by `rch hook install`; when omitted, a fresh one is made
   * in the run's scratch directory, which then lives on until `ClaudeRun.cleanup()`.
   */
  home?: string;
  /** Written to a scratch file passed with `--settings`. */
  settings?: object;
  /** Written to (overwrites) `$HOME/.claude/settings.json`. */
  userSettings?: object;
  /** Written to (overwrites) `<cwd>/.claude/settings.json`. */
  projectSettings?: object;
  /** `bypassPermissions` also sets IS_SANDBOX=1: Claude Code refuses it as root otherwise. */
  permissionMode?: "default" | "bypassPermissions";
  allowedTools?: string[];
  /** Extra environment for Claude (and so for its hooks and Bash commands). */
  env?: Record<string, string>;
  /** `stream-json` adds `--verbose --include-hook-events` so hook replies show up in `events`. */
  outputFormat?: "json" | "stream-json";
  timeoutMs?: number;
}

export interface ClaudeRun {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** The final `result` object (the JSON document, or the stream's `type:"result"` event). */
  result: Record<string, unknown> | null;
  /** Every stream-json event (empty for `json`). */
  events: Record<string, unknown>[];
  /** Tool results the mock received during this run. */
  toolResults: ToolResult[];
  home: string;
  /** Removes the run's scratch directory (settings file, TMPDIR, and HOME when it made one). */
  cleanup(): void;
}

const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function runClaude(opts: RunClaudeOptions): Promise<ClaudeRun> {
  const scratch = mkdtempSync(join(tmpdir(), "rch-e2e-claude-"));
  const home = opts.home ?? join(scratch, "home");
  const tmp = join(scratch, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(tmp, { recursive: true });

  if (opts.userSettings) writeJson(join(home, ".claude", "settings.json"), opts.userSettings);
  if (opts.projectSettings) writeJson(join(opts.cwd, ".claude", "settings.json"), opts.projectSettings);

  const format = opts.outputFormat ?? "json";
  const argv = [opts.claudeBin, "-p", opts.prompt ?? "run it", "--output-format", format];
  if (format === "stream-json") argv.push("--verbose", "--include-hook-events");
  if (opts.settings) {
    const file = join(scratch, "settings.json");
    writeJson(file, opts.settings);
    argv.push("--settings", file);
  }
  if (opts.permissionMode) argv.push("--permission-mode", opts.permissionMode);
  if (opts.allowedTools?.length) argv.push("--allowedTools", ...opts.allowedTools);

  const env: Record<string, string> = {
    PATH: BASE_PATH,
    HOME: home,
    // Keeps Claude's /tmp/claude-<uid>/ and socket files out of the shared /tmp.
    TMPDIR: tmp,
    ANTHROPIC_BASE_URL: opts.mock.url,
    ANTHROPIC_API_KEY: "sk-test",
    // The one switch that keeps all traffic on loopback (no /api/hello, no MCP registry lookup).
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    ...(opts.permissionMode === "bypassPermissions" ? { IS_SANDBOX: "1" } : {}),
    ...opts.env,
  };

  const since = opts.mock.requests().length;
  const r = await runProcess(argv, { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs ?? 30_000 });

  let result: Record<string, unknown> | null = null;
  const events: Record<string, unknown>[] = [];
  if (format === "json") {
    result = parseObject(r.stdout.trim());
  } else {
    for (const line of r.stdout.split("\n")) {
      const ev = line.trim() ? parseObject(line) : null;
      if (!ev) continue;
      events.push(ev);
      if (ev.type === "result") result = ev;
    }
  }

  const cleanup = (): void => rmSync(scratch, { recursive: true, force: true });
  // With a caller-owned HOME nothing in scratch is worth keeping.
  if (opts.home) cleanup();

  return {
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    stdout: r.stdout,
    stderr: r.stderr,
    result,
    events,
    toolResults: opts.mock.toolResults(since),
    home,
    cleanup,
  };
}

/** Hook replies from a stream-json run: each `hook_response` event's stdout, exit code and output. */
export function hookResponses(run: ClaudeRun): Record<string, unknown>[] {
  return run.events.filter((e) => e.type === "system" && e.subtype === "hook_response");
}

/** Parsed lines of every session transcript under `$HOME/.claude/projects/`. */
export function readTranscripts(home: string): Record<string, unknown>[] {
  const root = join(home, ".claude", "projects");
  const out: Record<string, unknown>[] = [];
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root);
  } catch {
    return out;
  }
  for (const d of dirs) {
    for (const f of readdirSync(join(root, d))) {
      if (!f.endsWith(".jsonl")) continue;
      for (const line of readFileSync(join(root, d, f), "utf8").split("\n")) {
        const v = line.trim() ? parseObject(line) : null;
        if (v) out.push(v);
      }
    }
  }
  return out;
}

/** A short description of a run for assertion messages. */
export function describeRun(run: ClaudeRun): string {
  return JSON.stringify(
    {
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      toolResults: run.toolResults,
      result: run.result?.result,
      permission_denials: run.result?.permission_denials,
      stderr: run.stderr.slice(0, 2000),
    },
    null,
    2,
  );
}

export interface HookReply {
  exitCode: unknown;
  stdout: string;
  /** `hookSpecificOutput` of the hook's JSON reply, or null when it printed nothing or no JSON. */
  output: Record<string, unknown> | null;
}

/** PreToolUse hook replies of a stream-json run, in order. */
export function hookReplies(run: ClaudeRun): HookReply[] {
  return hookResponses(run).map((e) => {
    const stdout = typeof e.stdout === "string" ? e.stdout : "";
    const specific = parseObject(stdout.trim())?.hookSpecificOutput;
    const output =
      typeof specific === "object" && specific !== null && !Array.isArray(specific)
        ? (specific as Record<string, unknown>)
        : null;
    return { exitCode: e.exit_code, stdout, output };
  });
}
