// Running the commands under test. Every child gets its own process group (setsid) and a
// deadline; at the deadline the whole group is SIGKILLed, so a hung rch (or build) can neither
// hang the suite nor leave a local straggler behind.
import { readdirSync, readFileSync } from "node:fs";

export interface Outcome {
  /** Shell-style status: the exit code, or 128+N when the process died from signal N. */
  code: number;
  /** Set when the process died from a signal instead of calling exit(). */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  timedOut: boolean;
  pid: number;
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
}

/** A started child: its pid (= its process group id), when it exits, and its whole outcome
 * (which also waits for its stdout/stderr to close: a leaked child holding them delays that). */
export interface Running {
  pid: number;
  exited: Promise<{ code: number; signal: string | null; ms: number }>;
  done: Promise<Outcome>;
}

const sigName = (s: NodeJS.Signals | number | null): string | null => (s === null ? null : String(s));

export function start(argv: string[], opts: SpawnOptions): Running {
  const t0 = performance.now();
  const proc = Bun.spawn(argv, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: "ignore", // an agent's Bash tool gives builds no terminal input
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // own process group: the deadline kill reaches every descendant
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(proc.pid, "SIGKILL");
  }, opts.timeoutMs ?? 120_000);
  const done = (async (): Promise<Outcome> => {
    try {
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited, // Bun reports a death by signal N as 128+N here, like a shell's $?
      ]);
      const ms = performance.now() - t0;
      return { code, signal: sigName(proc.signalCode), stdout, stderr, ms, timedOut, pid: proc.pid };
    } finally {
      clearTimeout(timer);
    }
  })();
  const exited = proc.exited.then((code) => ({
    code,
    signal: sigName(proc.signalCode),
    ms: performance.now() - t0,
  }));
  return { pid: proc.pid, exited, done };
}

/** Resolves with `p`, or with undefined after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, Bun.sleep(ms).then(() => undefined)]);
}

export function run(argv: string[], opts: SpawnOptions): Promise<Outcome> {
  return start(argv, opts).done;
}

export function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is already gone
  }
}

export function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export interface ProcInfo {
  pid: number;
  uid: number;
  pgid: number;
  comm: string;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    if (/^State:\s+[ZX]/m.test(status)) return undefined; // zombies hold nothing
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    return {
      pid,
      uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1),
      pgid: Number(fields[2]), // field 5 of stat
      comm: readFileSync(`/proc/${pid}/comm`, "utf8").trim(),
      cmdline,
    };
  } catch {
    return undefined; // exited while we looked
  }
}

/** Every live (non-zombie) process matching `keep`. */
export function processes(keep: (p: ProcInfo) => boolean): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info && keep(info)) out.push(info);
  }
  return out;
}

export const describeProcs = (ps: ProcInfo[]): string[] => ps.map((p) => `${p.pid} ${p.comm}: ${p.cmdline}`);

/** Polls `probe` until it returns an empty list or the deadline passes; returns the last list. */
export async function waitEmpty<T>(probe: () => T[], deadlineMs: number, stepMs = 50): Promise<T[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = probe();
    if (left.length === 0 || Date.now() >= end) return left;
    await Bun.sleep(stepMs);
  }
}

/** Polls until `ok()` is true; false at the deadline. */
export async function waitFor(ok: () => boolean, deadlineMs: number, stepMs = 25): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (ok()) return true;
    if (Date.now() >= end) return false;
    await Bun.sleep(stepMs);
  }
}
