// Worker selection: a pure function of the fleet state and the request (pickWithCopies marks
// which workers' copies of the project are in use on their states, for one call).
//
// 1. Eligible workers: enabled in workers.toml, not drained, circuit closed, carrying every
//    requested tag, allowed by RCH_WORKER (exactly that one) / RCH_WORKERS (one of those), and
//    not short of disk space by their last heartbeat (free >= min_free_gb + room for this
//    project's copy when it is not there yet; see disk.ts). The rule lives in
//    src/protocol/eligible.ts, shared with the dry run.
// 2. Among eligible workers with a free slot (share.ts freeSlots: total_slots minus our leases and
//    other workstations' builds, within max_share and contention mode) — those whose copy of this
//    project other builds are using come after every other (see copies.ts for who may share a
//    copy; an identical build follows the running one instead, see jobs.ts):
//    - if any of the request's preferred_workers has a free slot, only those are considered;
//    - each candidate gets
//        score = speed/100 × max(priority,1)/100 × (0.5 + 0.5 × free/total) × (warm ? 1.5 : 1) × 100
//      speed:    `rch workers benchmark` score (100 = the reference machine; unmeasured = 100)
//      priority: workers.toml priority (default 100)
//      free/total: an idle worker scores double a full one, so load spreads across the fleet
//                (free counts other workstations' builds too)
//      warm:     this project's last successful remote run was on this worker (its copy is warm);
//                a warm worker wins unless another is ≥ 1.5× better on the other factors
//    - the highest score wins; ties go to fewer used slots, then lower latency, then id order.
// 3. No eligible worker at all → local at once (with the reasons; a toolchain no worker has is
//    named first: "no worker has rustc 1.97.0-nightly (…); w1 has rustc 1.95.0"), unless a worker
//    whose toolchains are still being probed may yet match: then the request waits as below. Eligible but all full (or
//    their copies busy) → the caller queues the request (FIFO, up to slot_wait_ms), then local.
import { ineligible, noEligibleReason, type Runtime, TOOLCHAINS_PENDING } from "../protocol/eligible.ts";
import type { JobSpec } from "../protocol/requests.ts";
import type { Copies, CopyMode } from "./copies.ts";
import type { Fleet, WorkerState } from "./fleet.ts";
import { freeSlots } from "./share.ts";

export const WARM_BONUS = 1.5;
export const DEFAULT_SPEED = 100;

export type Pick =
  | { kind: "worker"; state: WorkerState; warm: boolean; score: number }
  | { kind: "busy" }
  | { kind: "none"; reason: string };

export function score(st: WorkerState, warm: boolean): number {
  const c = st.config;
  const speed = st.speed?.speed ?? DEFAULT_SPEED;
  const free = Math.max(0, c.total_slots - st.used - st.share.external) / c.total_slots;
  return (speed / 100) * (Math.max(c.priority, 1) / 100) * (0.5 + 0.5 * free) * (warm ? WARM_BONUS : 1) * 100;
}

function better(a: WorkerState, sa: number, b: WorkerState, sb: number): boolean {
  if (sa !== sb) return sa > sb;
  if (a.used !== b.used) return a.used < b.used;
  const la = a.latencyMs ?? Number.POSITIVE_INFINITY;
  const lb = b.latencyMs ?? Number.POSITIVE_INFINITY;
  if (la !== lb) return la < lb;
  return a.config.id < b.config.id;
}

/** Runs on every select with the whole fleet, so it allocates nothing on the way. */
export function pickWorker(
  workers: readonly WorkerState[],
  job: JobSpec,
  warmWorker: string | undefined,
  rt?: Runtime,
): Pick {
  let eligible = 0;
  let pending = 0;
  let best: WorkerState | undefined;
  let bestScore = 0;
  let bestPreferred = false;
  let bestFreeCopy = false;
  const wantPreferred = job.preferredWorkers.length > 0;
  const now = Date.now();
  for (const st of workers) {
    const why = ineligible(st, job, rt);
    if (why !== undefined) {
      if (why === TOOLCHAINS_PENDING) pending++;
      continue;
    }
    eligible++;
    if (freeSlots(st, now) <= 0) continue;
    if (st.copyUse === 2) continue;
    const freeCopy = st.copyUse === 0;
    // A free copy beats a busy one, then a preferred worker beats the rest, then the score.
    if (best && bestFreeCopy && !freeCopy) continue;
    const preferred = wantPreferred && job.preferredWorkers.includes(st.config.id);
    const s = score(st, st.config.id === warmWorker);
    const wins =
      !best ||
      (freeCopy && !bestFreeCopy) ||
      (preferred && !bestPreferred) ||
      (preferred === bestPreferred && better(st, s, best, bestScore));
    if (wins) {
      best = st;
      bestScore = s;
      bestPreferred = preferred;
      bestFreeCopy = freeCopy;
    }
  }
  // A worker whose toolchains are not known yet may be the one: wait for its probe (the queue is
  // served when it lands) rather than run locally or guess.
  if (eligible === 0 && pending > 0) return { kind: "busy" };
  if (eligible === 0) return { kind: "none", reason: noEligibleReason(workers, job, rt) };
  if (!best) return { kind: "busy" };
  return { kind: "worker", state: best, warm: best.config.id === warmWorker, score: bestScore };
}

/** pickWorker, with the workers whose copy of the job's project is in use marked on their state
 * for the length of the call (a few workers at most; the loop then reads a field, not a map). */
export function pickWithCopies(
  fleet: Fleet,
  copies: Copies,
  job: JobSpec,
  warmWorker: string | undefined,
  leadsNow: boolean,
  mode: CopyMode,
  rt?: Runtime,
): Pick {
  const root = job.projectRoot;
  const inUse = copies.inUse(root);
  const mark = (clear: boolean) => {
    if (!inUse) return;
    for (const id of inUse.keys()) {
      const st = fleet.get(id);
      if (st) st.copyUse = clear ? 0 : leadsNow && !copies.available(root, id, mode) ? 2 : 1;
    }
  };
  mark(false);
  try {
    return pickWorker(fleet.list(), job, warmWorker, rt);
  } finally {
    mark(true);
  }
}
