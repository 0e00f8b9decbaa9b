// The daemon's remote commands (heartbeats, benchmarks) go through src/ssh exactly like
// `rch exec`: same options, same ControlPath, so a heartbeat keeps the builds' master warm and a
// build's master makes a heartbeat cost ~8 ms instead of a handshake. Every run has a deadline
// and is stopped TERM → KILL on its whole process group (src/ssh/proc.ts).
import type { Config, WorkerConfig } from "../config/schema.ts";
import { diagnose } from "../ssh/diagnose.ts";
import { sshTarget } from "../ssh/options.ts";
import type { RunResult } from "../ssh/proc.ts";
import { runRemote as runSsh } from "../ssh/remote.ts";

export type { RunResult };

/** Runs `sh -c script rch args…` on the worker; never throws (a failure is a result). */
export function runRemote(
  w: WorkerConfig,
  ssh: Config["ssh"],
  script: string,
  timeoutMs: number,
  args: readonly string[] = [],
): Promise<RunResult> {
  return runSsh(sshTarget(w, ssh), script, args, timeoutMs);
}

export function describeFailure(r: RunResult): string {
  if (r.timedOut) return `timed out after ${Math.round(r.ms)} ms`;
  if (r.signal) return `killed by ${r.signal}`;
  // ssh's own failure: in the words `rch exec` uses for it ("worker host key changed"), which
  // are also what a build's fallback line shows when this is why the worker was left out.
  if (r.code === 255) {
    const d = diagnose(r.stderr, r.code, "ssh");
    if (d.level === "connection") return d.line;
  }
  const lines = r.stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("@@@"));
  const last = lines.at(-1);
  return last ? `exit ${r.code}: ${last}` : `exit ${r.code}`;
}
