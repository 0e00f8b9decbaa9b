// The workers a dry run shows, without connecting anywhere: those the daemon's eligibility rule
// accepts on what this process knows (the configuration and RCH_WORKER / RCH_WORKERS / RCH_TAGS;
// drained workers and open circuits only the daemon knows), in the order the daemon ranks an
// idle, unmeasured fleet: preferred_workers first, then priority, then id. (The daemon picks for
// real, adding health, free slots, speed and affinity: src/daemon/select.ts.)
import type { WorkerConfig } from "../config/schema.ts";
import { type Constraints, ineligible, noEligibleReason } from "../protocol/eligible.ts";

export type Candidates = { ok: true; workers: WorkerConfig[] } | { ok: false; reason: string };

export interface CandidateRequest extends Constraints {
  preferredWorkers: readonly string[];
}

/** Pure, so a dry run can show it. */
export function orderCandidates(all: readonly WorkerConfig[], req: CandidateRequest): Candidates {
  const seen = all.map((config) => ({ config }));
  const pool = seen.filter((w) => ineligible(w, req) === undefined).map((w) => w.config);
  if (pool.length === 0) return { ok: false, reason: noEligibleReason(seen, req) };
  // The daemon's score on an idle fleet with no speed measured is priority (at least 1) alone;
  // a free preferred worker beats any score; equal scores go to the lower id.
  const preferred = (w: WorkerConfig) => (req.preferredWorkers.includes(w.id) ? 0 : 1);
  const priority = (w: WorkerConfig) => Math.max(w.priority, 1);
  const order = pool.sort(
    (a, b) =>
      preferred(a) - preferred(b) || priority(b) - priority(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return { ok: true, workers: order };
}
