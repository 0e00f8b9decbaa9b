// One fleet, several workstations: what this daemon knows about the slots other workstations'
// builds hold on a worker, and the rules that follow from it. Pure (time is passed in).
//
// The worker is the coordinator: each build holds one of its slot locks for its session's life
// (src/worker/run.sh), so no workstation can overfill it; a build that finds every slot held
// ends with worker-full before touching anything. Each daemon keeps counting its own leases and
// adds what it learns from the worker — from every worker-full answer and from its count probe
// (slots.sh, src/daemon/slotwatch.ts):
//
//   external = slots held by others' builds = max(others' notes, held − own leases)
//   free     = total − own − external            (and own ≤ max_share, when set)
//
// `external` lapses two heartbeat intervals after it was last refreshed, so a worker whose
// count cannot be refreshed is not held back for ever on an old figure.
//
// Contention mode: while this workstation has seen the worker "busy" in the last 10 s — full
// with others' builds, or others waiting for it (their want notes) — it starts at most one new
// build there per count probe (`grants`). Every waiting workstation probes at the same fixed
// ~1 s, so freed slots go to them in turn rather than to whoever's own build just ended (that
// daemon would otherwise hand the slot straight to its next build, tens of ms before anyone's
// poll could see it free).
import { type FullWorker, parseNote, type SlotNote } from "../protocol/holders.ts";
import type { WorkerState } from "./fleet.ts";

/** How long seeing a worker busy keeps this workstation in contention mode there. */
export const CONTENTION_MS = 10_000;
/** Other workstations used the worker this recently: worth probing it fast while we wait. */
export const OTHERS_RECENT_MS = 10 * 60_000;

export interface ShareState {
  /** flock(1) on the worker: false turns sharing off there; undefined until first counted. */
  flock?: boolean;
  /** Slots held by other workstations' builds, as last learned. */
  external: number;
  /** When `external` was last refreshed (ms since the epoch; 0: never). */
  at: number;
  /** Others' builds holding slots, from their notes. */
  holders: SlotNote[];
  /** Last time the worker was seen busy: full with others' builds, or others waiting for it. */
  busyAt: number;
  /** Last time others' builds or want notes were seen there. */
  othersAt: number;
  /** In contention mode: builds this workstation may still start there until its next count. */
  grants: number;
}

export function newShare(): ShareState {
  return { external: 0, at: 0, holders: [], busyAt: -CONTENTION_MS, othersAt: -OTHERS_RECENT_MS, grants: 0 };
}

export function contended(s: ShareState, now: number): boolean {
  return now - s.busyAt < CONTENTION_MS;
}

/** Slots this workstation may take on the worker now; `gated: false` leaves contention mode's
 * one-per-probe rule out (what a probe found free). Runs per worker on every select. */
export function freeSlots(st: WorkerState, now: number, gated = true): number {
  const c = st.config;
  const s = st.share;
  let free = c.total_slots - st.used - s.external;
  if (c.max_share !== undefined) free = Math.min(free, c.max_share - st.used);
  if (gated && contended(s, now)) free = Math.min(free, s.grants);
  return free;
}

/** What a worker said about its slots: slots.sh's count, or a full worker's held lines. */
export interface SlotCount {
  held: number;
  /** The holders' notes, one per held slot. */
  holders: readonly string[];
  /** Want notes of workstations waiting for a slot (slots.sh only). */
  wants: readonly string[];
}

/** Applies a count taken now. `me`: this installation's client id. `st.used` must not include
 * a lease the count was taken for (a worker-full answer: that build holds no slot). */
export function applyCount(st: WorkerState, c: SlotCount, me: string, now: number): void {
  const s = st.share;
  const others = c.holders.map(parseNote).filter((n) => n.client !== me);
  const othersWait = c.wants.some((w) => parseNote(w).client !== me);
  s.flock = true;
  // Notes name others' builds exactly; held − own also counts builds of ours that an earlier
  // daemon started (still running, unknown to our leases) and our leases' sessions that have not
  // taken their slot yet make it low. Either way, the larger is the safer count.
  s.external = Math.max(0, others.length, c.held - st.used);
  s.holders = others;
  s.at = now;
  if (others.length > 0 || othersWait) s.othersAt = now;
  if ((c.held >= st.config.total_slots && others.length > 0) || othersWait) s.busyAt = now;
}

/** A build of ours found every slot held: the worker is busy, and the count is fresh. */
export function applyFull(
  st: WorkerState,
  held: number,
  holders: readonly string[],
  me: string,
  now: number,
) {
  applyCount(st, { held, holders, wants: [] }, me, now);
  st.share.busyAt = now;
}

/** The worker has no flock(1): its builds take no locks, so only our own leases count there,
 * as before slots were shared (no contention mode either: nobody could be seen waiting). */
export function applyNoFlock(st: WorkerState): void {
  Object.assign(st.share, newShare(), { flock: false });
}

/** Forgets a count older than two heartbeat intervals. */
export function expire(st: WorkerState, now: number, heartbeatMs: number): void {
  const s = st.share;
  if (s.external > 0 && now - s.at > 2 * heartbeatMs) {
    s.external = 0;
    s.holders = [];
  }
}

/** The workers among `states` that others' builds keep full, for the reason line of a build
 * that runs locally (protocol/holders.ts fullReason); empty when none. */
export function fullOfOthers(states: readonly WorkerState[], now: number): FullWorker[] {
  return states
    .filter((st) => st.share.external > 0 && freeSlots(st, now, false) <= 0)
    .map((st) => ({
      id: st.config.id,
      total: st.config.total_slots,
      others: Math.min(st.share.external, st.config.total_slots),
      names: [...new Set(st.share.holders.map((h) => h.name))],
    }));
}
