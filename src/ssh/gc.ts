// Runs the worker's garbage collector (src/worker/gc.sh) over the worker's ssh master, for the
// daemon's background collections and for `rch workers gc`: one policy, read from the same
// config keys by both, turned into gc.sh's arguments here and nowhere else.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { gbToKb } from "../config/units.ts";
import { GC_PROGRAM } from "../worker/programs.ts";
import { type GcMode, GcOutputError, type GcReport, parseGcOutput } from "./gcOutput.ts";
import { sshTarget } from "./options.ts";
import { runRemote } from "./remote.ts";

export type GcPolicy = Config["gc"];

/** remote_root as the worker programs take it: absolute, or relative to the remote $HOME. */
export function remoteRootArg(remoteRoot: string): string {
  if (remoteRoot === "~") return "";
  return remoteRoot.startsWith("~/") ? remoteRoot.slice(2) : remoteRoot;
}

/** gc.sh's arguments (the order of its header) for this worker and policy. */
export function gcArgs(w: WorkerConfig, policy: GcPolicy, mode: GcMode): string[] {
  return [
    mode,
    remoteRootArg(w.remote_root),
    gbToKb(w.min_free_gb),
    gbToKb(w.max_disk_gb),
    gbToKb(policy.gc_headroom_gb),
    Math.round(policy.keep_recent_h * 3600),
    gbToKb(policy.critical_free_gb),
    Math.round(policy.trim_incremental_after_d * 86_400),
  ].map(String);
}

/**
 * How long a GC may take before its session is cut (which gc.sh survives: see its header). du
 * over a big worker takes seconds per copy cold (1.9 s for 53 k files here), and a run removes
 * tens of GB; an hour covers both, a plan a quarter of that.
 */
export const GC_DEADLINE_MS: Record<GcMode, number> = {
  plan: 15 * 60_000,
  census: 15 * 60_000,
  run: 60 * 60_000,
};

export type GcResult = { ok: true; report: GcReport; ms: number } | { ok: false; error: string; ms: number };

export interface GcRunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs gc.sh on the worker; never throws (a failure is a result naming its cause). */
export async function runGc(
  w: WorkerConfig,
  ssh: Config["ssh"],
  policy: GcPolicy,
  mode: GcMode,
  o: GcRunOptions = {},
): Promise<GcResult> {
  const timeoutMs = o.timeoutMs ?? GC_DEADLINE_MS[mode];
  // With a lifeline: when this side goes (a deadline, Ctrl-C, rchd stopping), gc.sh stops too.
  const r = await runRemote(
    sshTarget(w, ssh),
    GC_PROGRAM,
    gcArgs(w, policy, mode),
    timeoutMs,
    o.signal,
    true,
  );
  const ms = r.ms;
  if (r.timedOut) return { ok: false, error: `timed out after ${Math.round(ms / 1000)} s`, ms };
  if (r.signal) return { ok: false, error: `stopped (${r.signal})`, ms };
  if (r.code !== 0) {
    const last = r.stderr.trim().split("\n").at(-1);
    return { ok: false, error: `exit ${r.code}${last ? `: ${last}` : ""}`, ms };
  }
  try {
    const report = parseGcOutput(r.stdout);
    if (report.error) return { ok: false, error: report.error, ms };
    return { ok: true, report, ms };
  } catch (e) {
    if (e instanceof GcOutputError) return { ok: false, error: e.message, ms };
    throw e;
  }
}
