// The daemon's selection core without its lifecycle: the SQLite store, job history, fleet, leases
// and the scheduler, wired as rchd wires them, the slot counts of shared workers, and how a
// (re)loaded worker list is applied (persisted speed scores and drained flags join new workers).
// buildContext adds health checks, config reloads and status on top; tests build this alone,
// in-process, with no socket or ssh (and give the slot counts a probe of their own).
import type { Config, WorkerConfig } from "../config/schema.ts";
import type { Runtime } from "../protocol/eligible.ts";
import type { JobSpec } from "../protocol/requests.ts";
import { Fleet } from "./fleet.ts";
import { History } from "./history.ts";
import { Leases } from "./leases.ts";
import type { Logger } from "./log.ts";
import { Scheduler } from "./scheduler.ts";
import { type CountProbe, type Schedule, SlotWatch } from "./slotwatch.ts";
import { Store } from "./store.ts";

export interface CoreOptions {
  daemon: Config["daemon"];
  /** SQLite file (created with its dir); an unusable path falls back to memory, as in rchd. */
  dbPath: string;
  log: Logger;
  leaseTtlMs: number;
  /** A job failed before its command started on this worker (rchd: check its health now). */
  suspect?: (workerId: string) => void;
  /** Disk facts for selection (rchd: disk.ts); absent: selection ignores disk space. */
  runtime?: (spec: JobSpec) => Runtime | undefined;
  /** A build failed with ENOSPC on this worker (rchd: disk.ts). */
  diskFull?: (workerId: string) => void;
  /** This installation's client id (config/identity.ts): its builds' notes on shared workers. */
  clientId: string;
  /** Counts shared workers' slots (rchd: slots.sh over ssh); absent: no counts. */
  counts?: CountProbe;
  /** Timers and randomness of the slot counts (tests). */
  countSchedule?: Schedule;
  random?: () => number;
}

export interface Core {
  store: Store;
  history: History;
  fleet: Fleet;
  leases: Leases;
  scheduler: Scheduler;
  slots: SlotWatch;
  /** Applies a worker list; new workers get their persisted speed and drained state. */
  applyWorkers(
    workers: readonly WorkerConfig[],
    daemonCfg: Config["daemon"],
  ): { added: string[]; removed: string[] };
}

export function createCore(o: CoreOptions): Core {
  const store = Store.open(o.dbPath, (m) => o.log.error(m));
  const history = new History(store, o.daemon.history_max_jobs);
  const fleet = new Fleet(o.daemon);
  const leases = new Leases(fleet, o.leaseTtlMs);
  const me = o.clientId;
  const scheduler = new Scheduler({
    fleet,
    leases,
    store,
    history,
    log: o.log,
    suspect: (id) => o.suspect?.(id),
    runtime: (spec) => o.runtime?.(spec),
    diskFull: (id) => o.diskFull?.(id),
    clientId: me,
    onWaiting: () => slots.kick(),
  });
  const slots: SlotWatch = new SlotWatch({
    fleet,
    me,
    probe: o.counts,
    waiting: () => scheduler.queue.length,
    serve: () => scheduler.queue.serve(),
    log: o.log,
    ...(o.countSchedule ? { schedule: o.countSchedule } : {}),
    ...(o.random ? { random: o.random } : {}),
  });
  return {
    store,
    history,
    fleet,
    leases,
    scheduler,
    slots,
    applyWorkers(workers, daemonCfg) {
      const { added, removed } = fleet.update(workers, daemonCfg);
      slots.unwatch(removed);
      slots.watch(added);
      const speeds = new Map(store.speeds().map((s) => [s.workerId, s]));
      const drained = new Set(store.drained());
      for (const id of added) {
        const st = fleet.get(id)!;
        st.drained = drained.has(id);
        const speed = speeds.get(id);
        if (speed) st.speed = speed;
      }
      return { added, removed };
    },
  };
}
