// The order a dry run shows workers in, without connecting anywhere: enabled workers, narrowed by
// RCH_WORKERS, forced by RCH_WORKER, preferred_workers first, then priority. (The daemon picks
// for real, adding health, free slots, speed and affinity: src/daemon/select.ts.)
import type { WorkerConfig } from "../config/schema.ts";
import type { SelectRequest } from "../protocol/selector.ts";

export type Candidates = { ok: true; workers: WorkerConfig[] } | { ok: false; reason: string };

/** Pure, so a dry run can show it. */
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
