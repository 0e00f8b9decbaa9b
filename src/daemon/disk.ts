// Disk space on the workers, as the daemon keeps it: every heartbeat's free space (admission:
// eligible.ts refuses a worker below min_free_gb plus room for the build's copy), the ENOSPC mark
// a failed build leaves (until a reading of the disk taken after it, by a heartbeat or a GC,
// shows space again), and the census of copies. The background GC that keeps each worker within
// its limits is collector.ts's.
import type { Config } from "../config/schema.ts";
import { formatKb, gbToKb } from "../config/units.ts";
import { type Runtime, shortOfDisk } from "../protocol/eligible.ts";
import type { JobSpec } from "../protocol/requests.ts";
import type { WorkerDisk } from "../protocol/status.ts";
import { Census } from "./census.ts";
import { Collector, type GcRunner } from "./collector.ts";
import type { Fleet, WorkerState } from "./fleet.ts";
import type { HeartbeatFacts } from "./heartbeat.ts";
import type { Logger } from "./log.ts";

export type { GcRunner };

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

export class DiskKeeper {
  readonly census = new Census();
  readonly collector: Collector;

  constructor(private readonly d: DiskDeps) {
    this.collector = new Collector({
      fleet: d.fleet,
      log: d.log,
      config: d.config,
      census: this.census,
      onReading: (st, availKb, totalKb, at) => this.reading(st, availKb, totalKb, at),
      ...(d.runGc ? { runGc: d.runGc } : {}),
    });
  }

  /** What admission needs for this request: fresh facts, and the room its copy would take. */
  runtime(spec: JobSpec): Runtime {
    const cfg = this.d.config();
    const project = spec.projectRoot;
    return {
      now: Date.now(),
      diskMaxAgeMs: this.maxAgeMs(cfg),
      reserveKb: (workerId) => {
        if (this.d.warmWorker(project) === workerId) return 0;
        if (this.census.has(workerId, project, this.d.clientId())) return 0;
        return this.census.sizeOf(project) ?? gbToKb(cfg.gc.new_copy_reserve_gb);
      },
    };
  }

  onHeartbeat(st: WorkerState, facts: HeartbeatFacts): void {
    if (facts.flock !== undefined) st.flock = facts.flock;
    if (facts.disk) this.reading(st, facts.disk.availKb, facts.disk.totalKb, Date.now());
    this.collector.afterHeartbeat(st);
  }

  /** A build there failed with ENOSPC: no builds until a later reading shows space; collect now. */
  markFull(workerId: string): void {
    const st = this.d.fleet.get(workerId);
    if (!st) return;
    if (!st.diskFull) this.d.log.warn(`worker ${workerId}: a build failed for lack of disk space there`);
    st.diskFull = true;
    st.diskFullAt = Date.now();
    this.collector.diskFull(st);
  }

  /** The worker's disk changed behind our back (`rch workers gc`): a census now. */
  refresh(workerId: string): void {
    const st = this.d.fleet.get(workerId);
    if (st) this.collector.refresh(st);
  }

  stop(): void {
    this.collector.stop();
  }

  /** Forgets workers that left the configuration (or whose connection changed). */
  forget(ids: readonly string[]): void {
    this.collector.forget(ids);
    for (const id of ids) this.census.forget(id);
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
      diskMaxAgeMs: this.maxAgeMs(cfg),
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
    return { ...s, ...this.collector.status(c.id) };
  }

  /** Facts older than two heartbeats never block a worker (fail-open). */
  private maxAgeMs(cfg: Config): number {
    return 2 * cfg.daemon.heartbeat_interval_s * 1000;
  }

  /** A reading of the disk taken at `measuredAt` (a heartbeat's, a GC's). An older one than what
   * we have changes nothing; only one taken after a build's ENOSPC can say the space is back. */
  private reading(st: WorkerState, availKb: number, totalKb: number, measuredAt: number): void {
    if (st.disk && measuredAt < st.disk.at) return;
    const before = this.admits(st);
    st.disk = { availKb, totalKb, at: measuredAt };
    if (st.diskFull && measuredAt > (st.diskFullAt ?? 0) && availKb >= gbToKb(st.config.min_free_gb)) {
      st.diskFull = false;
      delete st.diskFullAt;
      this.d.log.info(`worker ${st.config.id}: disk space again (${formatKb(availKb)} free)`);
    }
    if (!before && this.admits(st)) this.d.onSpace();
  }

  /** Above its floor and not marked full (the part of admission that is the same for every build). */
  private admits(st: WorkerState): boolean {
    return !st.diskFull && (!st.disk || st.disk.availKb >= gbToKb(st.config.min_free_gb));
  }
}
