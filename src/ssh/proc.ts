// Child processes for rch's own helpers (ssh, rsync). Every one runs in its own process group
// (detached: a Ctrl-C aimed at the agent's shell reaches rch, which decides, not the helper), has
// a deadline, and is stopped TERM → KILL on the whole group, so nothing it forked survives it.
import type { Subprocess } from "bun";

export interface RunOptions {
  /** Deadline for the whole run; then TERM, then KILL after `graceMs`. */
  timeoutMs: number;
  graceMs?: number;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Bytes for stdin; default: no stdin (/dev/null). */
  stdin?: string | Uint8Array;
  /** stdin is a pipe held open, never written, until the child exits: a remote program's
   * lifeline (it sees EOF when this side closes it, is stopped, or dies). */
  holdStdin?: boolean;
  /** Aborting stops the child like a timeout does (rch got a signal). */
  signal?: AbortSignal;
}

export interface RunResult {
  code: number;
  /** Signal name when the child was killed by one. */
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader (spawn failed half-way): the process itself
    } catch {
      // already gone
    }
  }
}

/**
 * Stops a detached child: TERM to its group, KILL after `graceMs` if it is still there.
 * Resolves when the child has exited.
 */
export async function stopGroup(proc: Subprocess, graceMs = 2000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  killGroup(proc.pid, "SIGTERM");
  const timer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), graceMs);
  try {
    await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Exit status as a shell reports it: the code, or 128+N for a signal. */
export function shellStatus(proc: Subprocess): number {
  if (proc.exitCode !== null) return proc.exitCode;
  const sig = proc.signalCode;
  const n = typeof sig === "number" ? sig : sig ? signalNumber(sig) : 0;
  return n > 0 ? 128 + n : 255;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

export function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}

/** Runs argv to completion and captures its output; never throws, not even when the program
 * cannot be started (then: code 127 or 126, the reason on stderr, as a shell would report it). */
export async function run(argv: string[], opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  let proc: Child;
  try {
    proc = Bun.spawn(argv, {
      stdin: opts.holdStdin
        ? "pipe"
        : opts.stdin === undefined
          ? "ignore"
          : typeof opts.stdin === "string"
            ? Buffer.from(opts.stdin)
            : opts.stdin,
      stdout: "pipe",
      stderr: "pipe",
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? 127 : 126;
    const stderr = `${argv[0]}: ${(e as Error).message}\n`;
    return { code, stdout: "", stderr, timedOut: false, ms: performance.now() - t0 };
  }
  return finishRun(proc, opts, t0);
}

type Child = Subprocess<"ignore" | "pipe" | Uint8Array, "pipe", "pipe">;

async function finishRun(proc: Child, opts: RunOptions, t0: number): Promise<RunResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopGroup(proc, opts.graceMs ?? 2000);
  }, opts.timeoutMs);
  const onAbort = () => void stopGroup(proc, opts.graceMs ?? 2000);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  try {
    const [stdout, stderr] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    const result: RunResult = {
      code: shellStatus(proc),
      stdout,
      stderr,
      timedOut,
      ms: performance.now() - t0,
    };
    if (proc.signalCode) result.signal = String(proc.signalCode);
    return result;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
