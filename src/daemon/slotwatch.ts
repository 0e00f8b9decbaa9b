// The daemon's count probe: slots.sh (src/worker/slots.sh) over each worker's ssh master — one
// round trip, ~10 ms warm — at every heartbeat interval, and at a FIXED 1 s ± 20 % while builds
// of ours wait for a worker that other workstations fill. Fixed, not backing off: exponential
// backoff favours whoever arrived last over those who have waited longest (distcc's reasoning for
// its lock pause), and the jitter keeps workstations from probing in lock step. When a count
// shows a free slot, the wait queue is served at once (in contention mode, one build per count:
// share.ts). A failed count only lets old knowledge lapse; the worker's health is the heartbeat's
// business (health.ts).
import type { Config } from "../config/schema.ts";
import { sshTarget } from "../ssh/options.ts";
import { runRemote } from "../ssh/remote.ts";
import { SLOTS_PROGRAM } from "../worker/programs.ts";
import type { Fleet, WorkerState } from "./fleet.ts";
import type { Logger } from "./log.ts";
import {
  applyCount,
  applyNoFlock,
  contended,
  expire,
  freeSlots,
  OTHERS_RECENT_MS,
  type SlotCount,
} from "./share.ts";

/** The fast probe interval while builds wait for a worker others fill, before jitter. */
export const FAST_MS = 1000;
export const JITTER = 0.2;
/** Want notes older than this are stale: waiting workstations rewrite theirs at every ~1 s probe. */
export const WANT_WINDOW_S = 5;

export type CountResult = { flock: false } | ({ flock: true } & SlotCount);
/** Counts a worker's slots; `want`: this workstation has builds waiting for it (say so there).
 * undefined: the count failed. */
export type CountProbe = (st: WorkerState, want: boolean) => Promise<CountResult | undefined>;

/** slots.sh's output; undefined when it is not one. */
export function parseCount(text: string): CountResult | undefined {
  let flock = false;
  let held: number | undefined;
  const holders: string[] = [];
  const wants: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "flock no") return { flock: false };
    if (line === "flock yes") flock = true;
    else if (line.startsWith("held ")) holders.push(line.slice(5));
    else if (line.startsWith("want ")) wants.push(line.slice(5));
    else {
      const m = /^slots (\d+) \d+$/.exec(line);
      if (m) held = Number(m[1]);
    }
  }
  return flock && held !== undefined ? { flock, held, holders, wants } : undefined;
}

export function sshCounter(ssh: () => Config["ssh"], me: { id: string; name: string }): CountProbe {
  return async (st, want) => {
    const c = st.config;
    const args = [c.remote_root, String(c.total_slots), String(WANT_WINDOW_S)];
    if (want) args.push(me.id, `client=${me.id} name=${me.name}`);
    const r = await runRemote(sshTarget(c, ssh()), SLOTS_PROGRAM, args, (ssh().connect_timeout_s + 5) * 1000);
    return r.code === 0 ? parseCount(r.stdout) : undefined;
  };
}

/** setTimeout by default; tests pass their own to see the delays without waiting them out. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export interface SlotWatchDeps {
  fleet: Fleet;
  /** This installation's client id: its own notes are not others' builds. */
  me: string;
  /** Absent: no counts at all (in-process tests, simulated heartbeats). */
  probe?: CountProbe | undefined;
  /** Requests waiting in the queue. */
  waiting(): number;
  /** Serves the wait queue. */
  serve(): void;
  log: Logger;
  random?: () => number;
  schedule?: Schedule;
}

export class SlotWatch {
  private readonly due = new Map<string, { at: number; cancel: () => void }>();
  private readonly inFlight = new Set<string>();
  private stopped = false;
  private readonly random: () => number;
  private readonly schedule: Schedule;

  constructor(private readonly d: SlotWatchDeps) {
    this.random = d.random ?? Math.random;
    this.schedule = d.schedule ?? realSchedule;
  }

  /** Starts counting these workers, the first count right away. */
  watch(ids: readonly string[]): void {
    if (!this.d.probe) return;
    for (const id of ids) this.plan(id, 0);
  }

  unwatch(ids: readonly string[]): void {
    for (const id of ids) {
      this.due.get(id)?.cancel();
      this.due.delete(id);
    }
  }

  stop(): void {
    this.stopped = true;
    this.unwatch([...this.due.keys()]);
  }

  /** A request started waiting, or a build of ours found a worker full: a worker others fill
   * is counted again within ~1 s, not at its next heartbeat. */
  kick(now = Date.now()): void {
    for (const [id, next] of this.due) {
      const st = this.d.fleet.get(id);
      if (!st || this.inFlight.has(id) || !this.wantsFast(st, now)) continue;
      if (next.at > now + FAST_MS * (1 + JITTER)) this.plan(id, this.jittered(FAST_MS));
    }
  }

  /** Fast counts: builds of ours wait, the worker is full for us, and others are involved
   * there (their builds hold slots, we are in contention mode, or they used it lately). */
  wantsFast(st: WorkerState, now: number): boolean {
    const s = st.share;
    if (this.d.waiting() === 0 || s.flock === false || !inService(st)) return false;
    if (freeSlots(st, now) > 0) return false;
    return s.external > 0 || contended(s, now) || now - s.othersAt < OTHERS_RECENT_MS;
  }

  /** The delay before the next count of this worker. */
  nextDelay(st: WorkerState, now: number): number {
    return this.jittered(this.wantsFast(st, now) ? FAST_MS : this.d.fleet.heartbeatMs);
  }

  private jittered(ms: number): number {
    return Math.round(ms * (1 - JITTER + 2 * JITTER * this.random()));
  }

  private plan(id: string, delayMs: number): void {
    if (this.stopped) return;
    this.due.get(id)?.cancel();
    const cancel = this.schedule(() => void this.tick(id), delayMs);
    this.due.set(id, { at: Date.now() + delayMs, cancel });
  }

  private async tick(id: string): Promise<void> {
    const st = this.d.fleet.get(id);
    const probe = this.d.probe;
    if (!st || !probe || this.stopped || this.inFlight.has(id)) return;
    if (!inService(st)) {
      expire(st, Date.now(), this.d.fleet.heartbeatMs);
      return this.plan(id, this.nextDelay(st, Date.now()));
    }
    const want = this.wantsFast(st, Date.now());
    this.inFlight.add(id);
    let r: CountResult | undefined;
    try {
      r = await probe(st, want);
    } catch {
      r = undefined;
    } finally {
      this.inFlight.delete(id);
    }
    if (this.d.fleet.get(id) !== st || this.stopped) return; // removed or replaced meanwhile
    this.apply(st, r, Date.now());
    this.plan(id, this.nextDelay(st, Date.now()));
  }

  /** A count (or its failure) taken now; serves the queue when it shows a free slot. */
  apply(st: WorkerState, r: CountResult | undefined, now: number): void {
    const s = st.share;
    const before = s.external;
    if (!r) expire(st, now, this.d.fleet.heartbeatMs);
    else if (!r.flock) {
      if (s.flock !== false) this.d.log.warn(`worker ${st.config.id}: no flock(1): its slots are not shared`);
      applyNoFlock(st);
    } else applyCount(st, r, this.d.me, now);
    if (s.external !== before && this.d.log.enabled("debug")) {
      const names = [...new Set(s.holders.map((h) => h.name))].join(", ");
      this.d.log.debug(
        `worker ${st.config.id}: ${s.external} slot(s) held by other workstations${names ? ` (${names})` : ""}`,
      );
    }
    if (this.d.waiting() === 0 || freeSlots(st, now, false) <= 0) return;
    // One build per count in contention mode; the grant lapses with this serve.
    if (contended(s, now)) s.grants = 1;
    try {
      this.d.serve();
    } finally {
      s.grants = 0;
    }
  }
}

function inService(st: WorkerState): boolean {
  return st.config.enabled && !st.drained && st.circuit.state === "closed";
}
