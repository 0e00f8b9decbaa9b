// The daemon's garbage collection on the workers (src/worker/gc.sh over ssh, in the background:
// never on a build's path). One GC or census at a time per worker here; gc.sh's own lock keeps it
// to one per worker across workstations. When a GC starts (policy [gc] auto = true, and the worker
// has flock):
//   short     a heartbeat shows free < min_free_gb
//   disk-full a build failed with ENOSPC there (also right after a GC that is running)
//   budget    the last census counts more than max_disk_gb
//   daily     24 h since the last daily GC, at a moment the worker runs no build of ours
// and a census (sizes only) every census_interval_h, the first right after the first heartbeat.
// A GC that could not reach its goals (everything left is in use or recent) is not retried for
// RETRY_MS: rerunning du over every copy at each heartbeat would not free a byte more.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { formatKb, gbToKb } from "../config/units.ts";
import type { GcRecordStatus, WorkerDisk } from "../protocol/status.ts";
import { type GcResult, runGc } from "../ssh/gc.ts";
import type { GcMode, GcReport } from "../ssh/gcOutput.ts";
import type { Census } from "./census.ts";
import type { Fleet, WorkerState } from "./fleet.ts";
import type { Logger } from "./log.ts";

export type GcTrigger = "short" | "disk-full" | "budget" | "daily" | "census";
export type GcRunner = (w: WorkerConfig, mode: GcMode, signal: AbortSignal) => Promise<GcResult>;

const RETRY_MS = 5 * 60_000;
const DAY_MS = 24 * 3_600_000;
const TICK_MS = 30_000;

export interface CollectorDeps {
  fleet: Fleet;
  log: Logger;
  config(): Config;
  census: Census;
  /** A reading of the worker's free space that a GC or census took at `measuredAt`. */
  onReading(st: WorkerState, availKb: number, totalKb: number, measuredAt: number): void;
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

export class Collector {
  private readonly workers = new Map<string, PerWorker>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly run: GcRunner;
  private stopped = false;

  constructor(private readonly d: CollectorDeps) {
    this.run = d.runGc ?? ((w, mode, signal) => runGc(w, d.config().ssh, d.config().gc, mode, { signal }));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  /** After a heartbeat: a GC if the worker needs one, else a census if one is due. */
  afterHeartbeat(st: WorkerState): void {
    this.collectIfNeeded(st);
    this.censusIfDue(st);
  }

  /** A build failed with ENOSPC there: a GC now, or right after the one running. */
  diskFull(st: WorkerState): void {
    const w = this.state(st);
    if (w.running) w.pending = "disk-full";
    else this.collectIfNeeded(st, true);
  }

  /** The worker's disk changed behind our back (`rch workers gc`): a census now. */
  refresh(st: WorkerState): void {
    if (!this.usable(st)) return;
    const w = this.state(st);
    if (w.running) w.refreshAfter = true;
    else this.start(st, "census", "census");
  }

  /** The census and the daily GC, for every worker (every TICK_MS). */
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

  forget(ids: readonly string[]): void {
    for (const id of ids) {
      this.workers.get(id)?.running?.abort.abort();
      this.workers.delete(id);
    }
  }

  /** The last GC and the one running, for `rch status --disk`. */
  status(id: string): Pick<WorkerDisk, "lastGc" | "gcRunning"> {
    const w = this.workers.get(id);
    const s: Pick<WorkerDisk, "lastGc" | "gcRunning"> = {};
    if (w?.last) s.lastGc = w.last;
    if (w?.running)
      s.gcRunning = { mode: w.running.mode, trigger: w.running.trigger, since: w.running.since };
    return s;
  }

  private state(st: WorkerState): PerWorker {
    let w = this.workers.get(st.config.id);
    if (!w) {
      w = { lastDailyAt: Date.now() };
      this.workers.set(st.config.id, w);
    }
    return w;
  }

  private usable(st: WorkerState): boolean {
    return !this.stopped && st.config.enabled && st.circuit.state === "closed" && st.health === "ok";
  }

  /** Starts a GC when the worker needs one; `fresh`: a new fact (ENOSPC) that the cool-down after
   * a fruitless GC does not hold back. */
  private collectIfNeeded(st: WorkerState, fresh = false): void {
    if (!this.d.config().gc.auto || st.flock === false || !this.usable(st)) return;
    const w = this.state(st);
    if (w.running) return;
    const trigger = this.trigger(st);
    if (!trigger) return;
    if (!fresh && w.unmetAt !== undefined && Date.now() - w.unmetAt < RETRY_MS) return;
    this.start(st, "run", trigger);
  }

  private trigger(st: WorkerState): GcTrigger | undefined {
    const c = st.config;
    if (st.diskFull) return "disk-full";
    if (st.disk && st.disk.availKb < gbToKb(c.min_free_gb)) return "short";
    const census = this.d.census.get(c.id);
    if (c.max_disk_gb > 0 && census && census.usageKb > gbToKb(c.max_disk_gb)) return "budget";
    return undefined;
  }

  private censusIfDue(st: WorkerState): void {
    if (!this.usable(st) || st.flock === undefined) return; // after the first heartbeat
    const w = this.state(st);
    if (w.running) return;
    const census = this.d.census.get(st.config.id);
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
    const rec: GcRecordStatus = {
      at: now,
      mode: running.mode,
      trigger: running.trigger,
      ms: Math.round(r.ms),
      ok: false,
    };
    const report = r.ok && !r.report.busy && r.report.end ? r.report : undefined;
    if (report) this.took(st, w, running, report, rec);
    else {
      rec.error = !r.ok ? r.error : r.report.busy ? "another GC was running there" : "cut short";
      if (running.mode === "run") w.unmetAt = now;
      this.d.log.warn(`worker ${id}: ${this.what(running)} did not complete: ${rec.error}`);
    }
    if (running.mode === "run") w.last = rec;
    this.next(st, w);
  }

  private what(running: Running): string {
    return running.mode === "run" ? `GC (${running.trigger})` : "census";
  }

  /** A complete report: the census, the disk reading, the record and the log line. */
  private took(st: WorkerState, w: PerWorker, running: Running, report: GcReport, rec: GcRecordStatus): void {
    const end = report.end!;
    const id = st.config.id;
    this.d.census.ingest(id, report, rec.at);
    rec.ok = true;
    rec.met = end.met;
    if (running.mode === "run") {
      rec.freedKb = end.freedKb;
      rec.availAfterKb = end.availAfterKb;
      if (end.met) delete w.unmetAt;
      else w.unmetAt = rec.at;
      const removed = report.copies.filter((c) => c.action === "remove").length;
      const trimmed = report.copies.filter((c) => c.action === "trim").length;
      this.d.log.info(
        `worker ${id}: ${this.what(running)} removed ${removed} cop${removed === 1 ? "y" : "ies"}` +
          `${trimmed ? `, trimmed ${trimmed}` : ""}, freed ${formatKb(end.freedKb)}; ` +
          `${formatKb(end.availAfterKb)} free` +
          `${end.met ? "" : " (goals not reached: what is left is in use or recent)"}`,
      );
    }
    // A run measured its end state last; a census, what it found when it started.
    if (end.totalKb > 0) {
      if (running.mode === "run") this.d.onReading(st, end.availAfterKb, end.totalKb, rec.at);
      else this.d.onReading(st, end.availBeforeKb, end.totalKb, running.since);
    }
  }

  /** What follows a GC or census: one asked for meanwhile, a census after a change, or a GC the
   * new facts call for. */
  private next(st: WorkerState, w: PerWorker): void {
    const pending = w.pending;
    delete w.pending;
    if (pending && this.usable(st) && st.flock !== false && this.d.config().gc.auto) {
      this.start(st, "run", pending);
    } else if (w.refreshAfter && this.usable(st)) {
      delete w.refreshAfter;
      this.start(st, "census", "census");
    } else {
      delete w.refreshAfter;
      this.collectIfNeeded(st);
    }
  }
}
