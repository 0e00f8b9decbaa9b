// Which workers may take a job at all: one rule for the daemon (src/daemon/select.ts, which then
// scores the eligible ones) and the dry run (src/exec/candidates.ts), so that a dry run never
// names a worker the daemon would refuse, and gives the daemon's reason when there is none.
// Pure. What only the daemon knows at run time (drained, circuit state) is optional input: a
// worker without it counts as in service.
import type { WorkerConfig } from "../config/schema.ts";
import type { CircuitState } from "./status.ts";

/** What the request allows (environment switches of the `rch exec` that asks). */
export interface Constraints {
  /** RCH_WORKER: this worker only. */
  forcedWorker?: string | undefined;
  /** RCH_WORKERS: only these workers. */
  allowedWorkers?: readonly string[] | undefined;
  /** RCH_TAGS: a worker must carry every one of these tags. */
  tags?: readonly string[] | undefined;
}

/** A worker as the rule sees it; the daemon's WorkerState is one as it stands (no copy per call). */
export interface Candidate {
  config: WorkerConfig;
  drained?: boolean;
  circuit?: { readonly state: CircuitState };
}

const NOT_FORCED = "not RCH_WORKER";
const NOT_ALLOWED = "not in RCH_WORKERS";

/** Why this worker may not take the job (undefined: it may). Runs per worker on every select,
 * so it allocates nothing for a worker it accepts. */
export function ineligible(w: Candidate, req: Constraints): string | undefined {
  const c = w.config;
  if (req.forcedWorker !== undefined && c.id !== req.forcedWorker) return NOT_FORCED;
  if (req.allowedWorkers && !req.allowedWorkers.includes(c.id)) return NOT_ALLOWED;
  // RCH_WORKER picks among enabled workers; it does not switch a disabled one back on.
  if (!c.enabled) return "disabled in workers.toml";
  if (w.drained) return "drained";
  if (w.circuit && w.circuit.state !== "closed") return `circuit ${w.circuit.state}`;
  if (req.tags) for (const t of req.tags) if (!c.tags.includes(t)) return `lacks tag ${t}`;
  return undefined;
}

/** The reason given when no worker is eligible: what each worker the request allows lacks. */
export function noEligibleReason(workers: readonly Candidate[], req: Constraints): string {
  if (workers.length === 0) return "no workers configured";
  if (req.forcedWorker !== undefined && !workers.some((w) => w.config.id === req.forcedWorker)) {
    return `RCH_WORKER=${req.forcedWorker} is not a configured worker`;
  }
  const reasons: string[] = [];
  for (const w of workers) {
    const why = ineligible(w, req);
    if (why && why !== NOT_FORCED && why !== NOT_ALLOWED) reasons.push(`${w.config.id} ${why}`);
  }
  return `no eligible worker (${reasons.join("; ") || "none allowed"})`;
}
