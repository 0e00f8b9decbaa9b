// Process helpers for the test bed: every child gets a deadline, and every kill names a PID.
// The bed never uses pkill/killall: it lists PIDs itself (from /proc) and signals exactly those.
import { readdirSync, readFileSync } from "node:fs";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  stdin?: string;
  cwd?: string;
}

/** Runs argv to completion; SIGKILLs it at the deadline (default 10 s) so no test hangs on a child. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn(argv, {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, opts.timeoutMs ?? 10_000);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** Like run(), but a non-zero exit (or timeout) is an Error naming the command and its stderr. */
export async function must(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0 || r.timedOut) {
    const why = r.timedOut ? "timed out" : `exited ${r.code}`;
    throw new Error(`test bed: \`${argv.join(" ")}\` ${why}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r;
}

interface ProcInfo {
  pid: number;
  uid: number;
  zombie: boolean;
}

function readStatus(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined; // gone between readdir and read
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(text)?.[1] ?? -1);
  const zombie = /^State:\s+[ZX]/m.test(text);
  return { pid, uid, zombie };
}

/** Live (non-zombie) PIDs whose real uid is one of `uids`. Zombies are ignored: they hold nothing
 * and PID 1 on this machine reaps them lazily, so waiting for them would only add seconds. */
export function pidsOfUids(uids: readonly number[]): number[] {
  if (uids.length === 0) return [];
  const want = new Set(uids);
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStatus(Number(name));
    if (info && !info.zombie && want.has(info.uid)) out.push(info.pid);
  }
  return out;
}

export function pidAlive(pid: number): boolean {
  const info = readStatus(pid);
  return info !== undefined && !info.zombie;
}

/** Kernel start time of a PID (clock ticks since boot): with the PID it identifies a process
 * even after PID reuse, which is how a stale fleet's owner is told apart from a newcomer. */
export function pidStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]); // field 22 of stat; fields[0] here is field 3
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGKILLs the given PIDs and then every process of `uids` until none is left (the users exist
 * only for the bed, so all they run is ours). Re-lists because a session may fork while dying. */
export async function killAll(
  pids: readonly number[],
  uids: readonly number[],
  deadlineMs = 5000,
): Promise<void> {
  for (const pid of pids) signal(pid, "SIGKILL");
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = [...pids.filter(pidAlive), ...pidsOfUids(uids)];
    if (left.length === 0) return;
    if (Date.now() > end) throw new Error(`test bed: processes survived SIGKILL: ${left.join(" ")}`);
    for (const pid of left) signal(pid, "SIGKILL");
    await Bun.sleep(10);
  }
}
