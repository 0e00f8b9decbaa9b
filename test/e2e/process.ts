// Child processes with a hard deadline. The child leads its own process group so that a timeout
// also kills what it spawned (Claude Code runs hooks and Bash commands as grandchildren).
import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  /** The complete environment: nothing is inherited implicitly. */
  env: Record<string, string>;
  timeoutMs: number;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Group already gone.
  }
}

/** Runs argv with stdin from /dev/null, collecting stdout and stderr. Never rejects on failure. */
export function runProcess(argv: string[], opts: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("runProcess: empty argv");
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    const finish = (exitCode: number | null, signal: string | null, extra = ""): void => {
      clearTimeout(timer);
      // Stragglers (a backgrounded command, a hook still sleeping) must not outlive the run.
      killGroup(child.pid);
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + extra,
        durationMs: performance.now() - started,
      });
    };
    child.on("error", (e) => finish(null, null, `\nspawn ${cmd}: ${e.message}`));
    child.on("close", (code, signal) => finish(code, signal));
  });
}
