// Which workers may take a job at all: one rule for the daemon (src/daemon/select.ts, which then
// scores the eligible ones) and the dry run (src/exec/candidates.ts), so that a dry run never
// names a worker the daemon would refuse, and gives the daemon's reason when there is none.
// Pure. What only the daemon knows at run time (drained, circuit state, the disk facts of the
// last heartbeat) is optional input: a worker without it counts as in service.
import type { WorkerConfig } from "../config/schema.ts";
import { formatKb, gbToKb } from "../config/units.ts";
import type { CircuitState } from "./status.ts";
import { type ToolchainNeed, toolchainMismatch, toolWords, type WorkerToolchains } from "./toolchains.ts";

/** What the request allows (environment switches of the `rch exec` that asks). */
export interface Constraints {
  /** RCH_WORKER: this worker only. */
  forcedWorker?: string | undefined;
  /** RCH_WORKERS: only these workers. */
  allowedWorkers?: readonly string[] | undefined;
  /** RCH_TAGS: a worker must carry every one of these tags. */
  tags?: readonly string[] | undefined;
  /** The toolchain the build needs (src/protocol/toolchains.ts). */
  toolchain?: ToolchainNeed | undefined;
}

/** A worker as the rule sees it; the daemon's WorkerState is one as it stands (no copy per call). */
export interface Candidate {
  config: WorkerConfig;
  drained?: boolean;
  circuit?: { readonly state: CircuitState };
  /** Free space of remote_root's filesystem from the last heartbeat (or GC), and when. */
  disk?: { readonly availKb: number; readonly at: number } | undefined;
  /** A build there failed with ENOSPC, and no heartbeat has shown space since. */
  diskFull?: boolean | undefined;
  /** Its toolchain identities, once probed (the daemon; the dry run has none and ignores them). */
  toolchains?: WorkerToolchains | undefined;
  /** The last heartbeat's verdict: a failing worker is not waited for (its probe cannot come). */
  health?: string;
  /** Why its last heartbeat failed, in the words of rch's ssh failures ("worker host key changed"). */
  lastError?: string;
}

/** What the daemon knows at the moment of the request, beyond each worker's own state. */
export interface Runtime {
  now: number;
  /** Disk facts older than this never block a worker (fail-open: they may be stale). */
  diskMaxAgeMs: number;
  /** Space this request needs on the worker beyond min_free_gb: 0 when its project's copy is
   * already there, else the copy's expected size. */
  reserveKb(workerId: string): number;
}

/** A worker whose toolchains are not probed yet: the daemon lets the request wait for the probe
 * (as for a free slot) rather than send it to a worker that may have another compiler. */
export const TOOLCHAINS_PENDING = "has toolchains not probed yet";
const NOT_FORCED = "not RCH_WORKER";
const NOT_ALLOWED = "not in RCH_WORKERS";

/** Why this worker may not take the job (undefined: it may). Runs per worker on every select,
 * so it allocates nothing for a worker it accepts. */
export function ineligible(w: Candidate, req: Constraints, rt?: Runtime): string | undefined {
  const c = w.config;
  if (req.forcedWorker !== undefined && c.id !== req.forcedWorker) return NOT_FORCED;
  if (req.allowedWorkers && !req.allowedWorkers.includes(c.id)) return NOT_ALLOWED;
  // RCH_WORKER picks among enabled workers; it does not switch a disabled one back on.
  if (!c.enabled) return "disabled in workers.toml";
  if (w.drained) return "drained";
  if (w.circuit && w.circuit.state !== "closed") return `circuit ${w.circuit.state}`;
  if (req.tags) for (const t of req.tags) if (!c.tags.includes(t)) return `lacks tag ${t}`;
  if (req.toolchain) {
    const tc = w.toolchains;
    if (!tc && w.health === "failing")
      return `is unreachable (its heartbeat failed${w.lastError ? `: ${w.lastError}` : ""})`;
    if (!tc || (!tc.error && !tc.toolsKnown && req.toolchain.tools?.length)) return TOOLCHAINS_PENDING;
    const why = toolchainMismatch(tc, req.toolchain);
    if (why) return why;
  }
  return rt ? shortOfDisk(w, rt) : undefined;
}

/** Below min_free_gb plus what this build's copy needs, by the last heartbeat's count (or out of
 * space by a build's ENOSPC): why the worker may take no build, else undefined. */
export function shortOfDisk(w: Candidate, rt: Runtime): string | undefined {
  const c = w.config;
  if (w.diskFull) return "is out of disk space (a build there failed for lack of space)";
  const d = w.disk;
  if (!d || rt.now - d.at > rt.diskMaxAgeMs) return undefined;
  const floor = gbToKb(c.min_free_gb);
  if (d.availKb >= floor && d.availKb - floor >= rt.reserveKb(c.id)) return undefined;
  const reserve = rt.reserveKb(c.id);
  const extra = reserve > 0 ? ` + ${formatKb(reserve)} for this project's copy` : "";
  return `is short of disk space (${formatKb(d.availKb)} free, min_free_gb ${c.min_free_gb}${extra})`;
}

/** The reason given when no worker is eligible: what each worker the request allows lacks. */
export function noEligibleReason(workers: readonly Candidate[], req: Constraints, rt?: Runtime): string {
  if (workers.length === 0) return "no workers configured";
  if (req.forcedWorker !== undefined && !workers.some((w) => w.config.id === req.forcedWorker)) {
    return `RCH_WORKER=${req.forcedWorker} is not a configured worker`;
  }
  const reasons: string[] = [];
  for (const w of workers) {
    const why = ineligible(w, req, rt);
    if (why && why !== NOT_FORCED && why !== NOT_ALLOWED) reasons.push(`${w.config.id} ${why}`);
  }
  // A toolchain no allowed worker has is the news: name it first, then what the workers have.
  const rust = req.toolchain?.rust;
  if (rust && reasons.some((r) => / has (rustc|no rustc)/.test(r))) {
    return `no worker has rustc ${rust.label}; ${reasons.join("; ")}`;
  }
  for (const t of req.toolchain?.tools ?? []) {
    const words = toolWords(t.tool, t.label);
    if (reasons.some((r) => r.includes(` has no ${t.tool}`) || r.includes(` has ${t.tool} `)))
      return `no worker has ${words}; ${reasons.join("; ")}`;
  }
  return `no eligible worker (${reasons.join("; ") || "none allowed"})`;
}
