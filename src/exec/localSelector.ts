// Picks a worker from workers.toml until the daemon exists: enabled workers, narrowed by
// RCH_WORKERS, forced by RCH_WORKER, preferred_workers first, then priority. The first whose SSH
// master is up (or comes up within ConnectTimeout) wins. The daemon's client replaces this behind
// the same WorkerSelector interface (createSelector).
import type { Config, WorkerConfig } from "../config/schema.ts";
import { ensureMaster, masterAlive } from "../ssh/master.ts";
import { sshTarget } from "../ssh/options.ts";
import { markDown, recentlyDown } from "./downCache.ts";
import type { Lease, Selection, SelectRequest, WorkerSelector } from "./selector.ts";

export type Candidates = { ok: true; workers: WorkerConfig[] } | { ok: false; reason: string };

/** The order workers are tried in; pure, so dry runs and tests can show it without connecting. */
export function orderCandidates(
  all: readonly WorkerConfig[],
  req: Pick<SelectRequest, "forcedWorker" | "allowedWorkers" | "preferredWorkers">,
): Candidates {
  if (all.length === 0) return { ok: false, reason: "no workers configured" };
  if (req.forcedWorker) {
    const w = all.find((x) => x.id === req.forcedWorker);
    if (!w) return { ok: false, reason: `RCH_WORKER=${req.forcedWorker} is not a configured worker` };
    return { ok: true, workers: [w] }; // forcing a worker overrides enabled = false
  }
  let pool = all.filter((w) => w.enabled);
  if (req.allowedWorkers) {
    const allowed = new Set(req.allowedWorkers);
    pool = pool.filter((w) => allowed.has(w.id));
  }
  if (pool.length === 0)
    return {
      ok: false,
      reason: req.allowedWorkers ? "no enabled worker in RCH_WORKERS" : "no enabled workers",
    };
  const pref = req.preferredWorkers;
  const rank = (w: WorkerConfig) => (pref.includes(w.id) ? pref.indexOf(w.id) : pref.length);
  const order = pool
    .map((w, i) => ({ w, i }))
    .sort((a, b) => rank(a.w) - rank(b.w) || b.w.priority - a.w.priority || a.i - b.i);
  return { ok: true, workers: order.map((x) => x.w) };
}

export class LocalSelector implements WorkerSelector {
  constructor(
    private readonly workers: readonly WorkerConfig[],
    private readonly ssh: Config["ssh"],
  ) {}

  async select(req: SelectRequest): Promise<Selection> {
    const c = orderCandidates(this.workers, req);
    if (!c.ok) return { kind: "local", reason: c.reason };
    // Whether each master is up is a local question (no network): ask for all at once.
    const alive = await Promise.all(c.workers.map((w) => masterAlive(sshTarget(w, this.ssh))));
    const failures: string[] = [];
    for (const [i, w] of c.workers.entries()) {
      if (alive[i]) return { kind: "worker", lease: lease(w) };
      const down = recentlyDown(w.id);
      if (down && !req.forcedWorker) {
        failures.push(`${w.id}: ${down}`);
        continue;
      }
      const r = await ensureMaster(sshTarget(w, this.ssh));
      if (r.ok) {
        markDown(w.id, undefined);
        return { kind: "worker", lease: lease(w) };
      }
      markDown(w.id, r.reason);
      failures.push(`${w.id}: ${r.reason}`);
    }
    return {
      kind: "local",
      reason: failures.length === 1 ? failures[0]! : `no reachable worker (${failures.join("; ")})`,
    };
  }
}

function lease(worker: WorkerConfig): Lease {
  return { worker, warm: false, release: async () => {} };
}
