// Disk space on the workers, as the daemon keeps it: every heartbeat's free space (admission:
// eligible.ts refuses a worker below min_free_gb plus room for the build's copy), the ENOSPC mark
// a failed build leaves (until a reading of the disk taken after it, by a heartbeat or a GC,
// shows space again), the census of copies, and the background GC (src/worker/gc.sh) that
// keeps each worker within its limits. GC never runs on a build's path: a request goes to another
// worker, or locally, while the collection runs; one GC at a time per worker here, and gc.sh's
// own lock keeps it to one per worker across workstations.
//
// When a GC starts (policy [gc] auto = true, worker has flock):
//   short     a heartbeat shows free < min_free_gb
//   disk-full a build failed with ENOSPC there
//   budget    the last census counts more than max_disk_gb
//   daily     24 h since the last daily GC, at a moment the worker runs no build of ours
// and a census (sizes only) every census_interval_h, the first right after the first heartbeat.
// A GC that could not reach its goals (everything left is in use or recent) is not retried for
// RETRY_MS: rerunning du over every copy at each heartbeat would not free a byte more.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { formatKb, gbToKb } from "../config/units.ts";
import { type Runtime, shortOfDisk } from "../protocol/eligible.ts";
import type { JobSpec } from "../protocol/requests.ts";
import type { GcRecordStatus, WorkerDisk } from "../protocol/status.ts";
import { type GcResult, runGc } from "../ssh/gc.ts";
import type { GcMode } from "../ssh/gcOutput.ts";
import { Census } from "./census.ts";
import type { Fleet, WorkerState } from "./fleet.ts";
import type { HeartbeatFacts } from "./heartbeat.ts";
import type { Logger } from "./log.ts";

export type GcTrigger = "short" | "disk-full" | "budget" | "daily" | "census";

const RETRY_MS = 5 * 60_000;
const DAY_MS = 24 * 3_600_000;
const TICK_MS = 30_000;

export type GcRunner = (w: WorkerConfig, mode: GcMode, signal: AbortSignal) => Promise<GcResult>;

export interface DiskDeps {
  fleet: Fleet;
  log: Logger;
  config(): Config;
  /** Where this project's last remote build ran (its copy is there). */
  warmWorker(projectRoot: string): string | undefined;
  /** This installation's client id, once it has one (copies' stamps name it). */
  clientId(): string | undefined;
  /** A worker may take builds again: let queued requests try. */
  onSpace(): void;
  /** Replaces gc.sh over ssh (tests). */
  runGc?: GcRunner;
}

interface Running {
  mode: GcMode;
  trigger: GcTrigger;
  since: number;
  abort: AbortController;
}

interface PerWorker {
  running?: Running;
  /** A GC was asked for while another ran: it starts when that one ends. */
  pending?: GcTrigger;
  /** Someone changed the disk while a GC or census ran: take another census after it. */
  refreshAfter?: boolean;
  last?: GcRecordStatus;
  /** End of the last collection that could not reach its goals (cool-down). */
  unmetAt?: number;
  lastDailyAt: number;
}

export class DiskKeeper {
  readonly census = new Census();
  private readonly workers = new Map<string, PerWorker>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly run: GcRunner;
  private stopped = false;

  constructor(private readonly d: DiskDeps) {
    this.run = d.runGc ?? ((w, mode, signal) => runGc(w, d.config().ssh, d.config().gc, mode, { signal }));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  /** What admission needs for this request: fresh facts, and the room its copy would take. */
  runtime(spec: JobSpec): Runtime {
    const cfg = this.d.config();
    const project = spec.projectRoot;
    return {
      now: Date.now(),
      diskMaxAgeMs: 2 * cfg.daemon.heartbeat_interval_s * 1000,
      reserveKb: (workerId) => {
        if (this.d.warmWorker(project) === workerId) return 0;
        if (this.census.has(workerId, project, this.d.clientId())) return 0;
        return this.census.sizeOf(project) ?? gbToKb(cfg.gc.new_copy_reserve_gb);
      },
    };
  }

  onHeartbeat(st: WorkerState, facts: HeartbeatFacts): void {
    if (facts.flock !== undefined) st.flock = facts.flock;
    if (facts.disk) this.setDisk(st, facts.disk.availKb, facts.disk.totalKb, Date.now());
    this.collectIfNeeded(st);
    this.censusIfDue(st);
  }

  /** A build there failed with ENOSPC: no builds until a heartbeat shows space; collect now. */
  markFull(workerId: string): void {
    const st = this.d.fleet.get(workerId);
    if (!st) return;
    if (!st.diskFull) this.d.log.warn(`worker ${workerId}: a build failed for lack of disk space there`);
    st.diskFull = true;
    st.diskFullAt = Date.now();
    const w = this.state(st);
    if (w.running) w.pending = "disk-full";
    else this.collectIfNeeded(st, true);
  }

  /** The worker's disk changed behind our back (`rch workers gc`): a census now. */
  refresh(workerId: string): void {
    const st = this.d.fleet.get(workerId);
    if (!st || !this.usable(st)) return;
    const w = this.state(st);
    if (w.running) w.refreshAfter = true;
    else this.start(st, "census", "census");
  }

  /** The census and the daily GC, for every worker (every TICK_MS; tests call it directly). */
  tick(): void {
    for (const st of this.d.fleet.list()) {
      this.censusIfDue(st);
      this.dailyIfDue(st);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const w of this.workers.values()) w.running?.abort.abort();
  }

  /** The worker's disk as `rch status` shows it. */
  status(st: WorkerState): WorkerDisk {
    const c = st.config;
    const cfg = this.d.config();
    const minFreeKb = gbToKb(c.min_free_gb);
    const headroom = Math.min(gbToKb(cfg.gc.gc_headroom_gb), Math.floor((st.disk?.totalKb ?? 0) / 10));
    const s: WorkerDisk = { minFreeKb, maxDiskKb: gbToKb(c.max_disk_gb), goalFreeKb: minFreeKb + headroom };
    if (st.disk) {
      s.availKb = st.disk.availKb;
      s.totalKb = st.disk.totalKb;
      s.at = st.disk.at;
    }
    const refused = shortOfDisk(st, {
      now: Date.now(),
      diskMaxAgeMs: 2 * cfg.daemon.heartbeat_interval_s * 1000,
      reserveKb: () => 0,
    });
    if (refused) s.refused = refused;
    if (st.flock !== undefined) s.flock = st.flock;
    if (st.diskFull) s.full = true;
    const census = this.census.get(c.id);
    if (census) {
      s.census = { at: census.at, usageKb: census.usageKb, copies: census.copies.length };
      const oldest = census.copies[0]?.lastUse;
      if (oldest) s.census.oldestUse = oldest * 1000;
    }
    const w = this.workers.get(c.id);
    if (w?.last) s.lastGc = w.last;
    if (w?.running)
      s.gcRunning = { mode: w.running.mode, trigger: w.running.trigger, since: w.running.since };
    return s;
  }

  /** Forgets workers that left the configuration. */
  forget(ids: readonly string[]): void {
    for (const id of ids) {
      this.workers.get(id)?.running?.abort.abort();
      this.workers.delete(id);
      this.census.forget(id);
    }
  }

  private state(st: WorkerState): PerWorker {
    let w = this.workers.get(st.config.id);
    if (!w) {
      w = { lastDailyAt: Date.now() };
      this.workers.set(st.config.id, w);
    }
    return w;
  }

  /** A reading of the disk taken at `measuredAt`: only one taken after a build's ENOSPC can say
   * that the space is back. */
  private setDisk(st: WorkerState, availKb: number, totalKb: number, measuredAt: number): void {
    const before = this.admits(st);
    st.disk = { availKb, totalKb, at: measuredAt };
    if (st.diskFull && measuredAt > (st.diskFullAt ?? 0) && availKb >= gbToKb(st.config.min_free_gb)) {
      st.diskFull = false;
      delete st.diskFullAt;
      this.d.log.info(`worker ${st.config.id}: disk space again (${formatKb(availKb)} free)`);
    }
    if (!before && this.admits(st)) this.d.onSpace();
  }

  /** Above its floor and not marked full (the request-independent part of admission). */
  private admits(st: WorkerState): boolean {
    return !st.diskFull && (!st.disk || st.disk.availKb >= gbToKb(st.config.min_free_gb));
  }

  private usable(st: WorkerState): boolean {
    return !this.stopped && st.config.enabled && st.circuit.state === "closed" && st.health === "ok";
  }

  /** Starts a GC when the worker needs one; `fresh`: a new fact (ENOSPC) that the cool-down after
   * a fruitless GC does not hold back. */
  private collectIfNeeded(st: WorkerState, fresh = false): void {
    const policy = this.d.config().gc;
    if (!policy.auto || st.flock === false || !this.usable(st)) return;
    const w = this.state(st);
    if (w.running) return;
    const c = st.config;
    let trigger: GcTrigger | undefined;
    if (st.diskFull) trigger = "disk-full";
    else if (st.disk && st.disk.availKb < gbToKb(c.min_free_gb)) trigger = "short";
    else {
      const census = this.census.get(c.id);
      if (c.max_disk_gb > 0 && census && census.usageKb > gbToKb(c.max_disk_gb)) trigger = "budget";
    }
    if (!trigger) return;
    if (!fresh && w.unmetAt !== undefined && Date.now() - w.unmetAt < RETRY_MS) return;
    this.start(st, "run", trigger);
  }

  private censusIfDue(st: WorkerState): void {
    if (!this.usable(st) || st.flock === undefined) return; // after the first heartbeat
    const w = this.state(st);
    if (w.running) return;
    const census = this.census.get(st.config.id);
    const everyMs = this.d.config().gc.census_interval_h * 3_600_000;
    if (census && Date.now() - census.at < everyMs) return;
    this.start(st, "census", "census");
  }

  private dailyIfDue(st: WorkerState): void {
    if (!this.d.config().gc.auto || st.flock !== true || !this.usable(st) || st.used > 0) return;
    const w = this.state(st);
    if (w.running || Date.now() - w.lastDailyAt < DAY_MS) return;
    w.lastDailyAt = Date.now();
    this.start(st, "run", "daily");
  }

  private start(st: WorkerState, mode: GcMode, trigger: GcTrigger): void {
    const w = this.state(st);
    const running: Running = { mode, trigger, since: Date.now(), abort: new AbortController() };
    w.running = running;
    const id = st.config.id;
    if (mode === "run") this.d.log.info(`worker ${id}: GC started (${trigger})`);
    else this.d.log.debug(`worker ${id}: census started`);
    void this.run(st.config, mode, running.abort.signal)
      .catch((e): GcResult => ({ ok: false, error: (e as Error).message, ms: 0 }))
      .then((r) => this.finish(id, running, r));
  }

  private finish(id: string, running: Running, r: GcResult): void {
    const w = this.workers.get(id);
    if (w?.running === running) delete w.running;
    const st = this.d.fleet.get(id);
    if (!w || !st || this.stopped) return;
    const now = Date.now();
    const what = running.mode === "run" ? `GC (${running.trigger})` : "census";
    const error = !r.ok
      ? r.error
      : r.report.busy
        ? "another GC was running there"
        : r.report.end
          ? undefined
          : "cut short";
    const rec: GcRecordStatus = {
      at: now,
      mode: running.mode,
      trigger: running.trigger,
      ms: Math.round(r.ms),
      ok: !error,
    };
    if (error || !r.ok || !r.report.end) {
      rec.error = error ?? "cut short";
      if (running.mode === "run") w.unmetAt = now;
      this.d.log.warn(`worker ${id}: ${what} did not complete: ${rec.error}`);
    } else {
      const report = r.report;
      const end = report.end!;
      this.census.ingest(id, report, now);
      rec.met = end.met;
      if (running.mode === "run") {
        rec.freedKb = end.freedKb;
        rec.availAfterKb = end.availAfterKb;
        if (end.met) delete w.unmetAt;
        else w.unmetAt = now;
        const removed = report.copies.filter((c) => c.action === "remove").length;
        const trimmed = report.copies.filter((c) => c.action === "trim").length;
        this.d.log.info(
          `worker ${id}: ${what} removed ${removed} cop${removed === 1 ? "y" : "ies"}` +
            `${trimmed ? `, trimmed ${trimmed}` : ""}, freed ${formatKb(end.freedKb)}; ` +
            `${formatKb(end.availAfterKb)} free` +
            `${end.met ? "" : " (goals not reached: what is left is in use or recent)"}`,
        );
      }
      // A run measured its end state last; a census, what it found when it started.
      if (end.totalKb > 0) {
        if (running.mode === "run") this.setDisk(st, end.availAfterKb, end.totalKb, now);
        else this.setDisk(st, end.availBeforeKb, end.totalKb, running.since);
      }
    }
    if (running.mode === "run") w.last = rec;
    if (w.pending) {
      const trigger = w.pending;
      delete w.pending;
      if (this.usable(st) && st.flock !== false && this.d.config().gc.auto) {
        this.start(st, "run", trigger);
        return;
      }
    }
    if (w.refreshAfter) {
      delete w.refreshAfter;
      if (this.usable(st)) {
        this.start(st, "census", "census");
        return;
      }
    }
    this.collectIfNeeded(st);
  }
}
