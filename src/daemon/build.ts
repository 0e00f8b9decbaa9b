// Assembles the daemon's state from the configuration and the store, and implements the
// context's actions (reload, status). Separate from daemon.ts so the lifecycle (locks, socket,
// signals) and the state stay small enough to read on their own.
import { clientIdentity } from "../config/identity.ts";
import { loadConfig } from "../config/load.ts";
import { userConfigFile, workersFile } from "../config/paths.ts";
import { formatIssue } from "../config/validate.ts";
import type { BuildIdentity } from "../protocol/build.ts";
import type { DaemonPaths } from "../protocol/paths.ts";
import { PROTOCOL_VERSION } from "../protocol/requests.ts";
import type { StatusSnapshot } from "../protocol/status.ts";
import type { DaemonContext } from "./context.ts";
import { createCore } from "./core.ts";
import { DiskKeeper, type GcRunner } from "./disk.ts";
import { HealthMonitor, type Probe } from "./health.ts";
import type { Logger } from "./log.ts";
import { sshCounter } from "./slotwatch.ts";
import { ToolchainKeeper } from "./toolchains.ts";
import { TreeViews } from "./treeviews.ts";

export interface BuildOptions {
  build: BuildIdentity;
  paths: DaemonPaths;
  log: Logger;
  leaseTtlMs: number;
  /** Replaces the ssh heartbeat (benchmarks with simulated workers). */
  probe?: Probe;
  /** Replaces gc.sh over ssh. */
  runGc?: GcRunner;
}

function ring(size: number) {
  const buf: number[] = [];
  let count = 0;
  return {
    add(ms: number) {
      buf[count++ % size] = ms;
    },
    samples: () => buf.slice(),
    get count() {
      return count;
    },
  };
}

export interface BuiltContext extends DaemonContext {
  setShutdownHandler(fn: (why: string) => void): void;
  setRetireHandler(fn: (why: string) => void): void;
  watchedFiles: string[];
}

export function buildContext(o: BuildOptions): BuiltContext {
  const loaded = loadConfig();
  let health: HealthMonitor | undefined;
  let disk: DiskKeeper | undefined;
  const me = clientIdentity(loaded.config.general.client_name);
  const core = createCore({
    daemon: loaded.config.daemon,
    dbPath: o.paths.db,
    log: o.log,
    leaseTtlMs: o.leaseTtlMs,
    suspect: (id) => health?.checkNow(id),
    runtime: (spec) => disk?.runtime(spec),
    diskFull: (id) => disk?.markFull(id),
    clientId: me.id,
    // Shared workers' slot counts go over ssh like heartbeats; none when those are simulated.
    ...(o.probe ? {} : { counts: sshCounter(() => ctx.config.ssh, me) }),
  });
  const { store, history, fleet, scheduler } = core;
  let stopping = false;
  let onShutdown: (why: string) => void = () => {};
  let onRetire: (why: string) => void = () => {};

  const applyWorkers = (workers: typeof loaded.workers) => {
    const { added, removed } = core.applyWorkers(workers, ctx.config.daemon);
    disk?.forget(removed);
    health?.unwatch(removed);
    health?.watch(added);
    if (added.length > 0) scheduler.queue.serve();
    return { added, removed };
  };

  const ctx: DaemonContext = {
    build: o.build,
    startedAt: Date.now(),
    paths: o.paths,
    config: loaded.config,
    configFiles: loaded.files,
    configIssues: loaded.issues.map(formatIssue),
    fleet,
    scheduler,
    slots: core.slots,
    get health() {
      return health!;
    },
    get disk() {
      return disk!;
    },
    store,
    history,
    log: o.log,
    selectTimes: ring(4096),
    trees: new TreeViews((m) => o.log.info(m)),
    get stopping() {
      return stopping;
    },
    reload(why) {
      const next = loadConfig();
      const old = ctx.config;
      ctx.config = next.config;
      ctx.configFiles = next.files;
      ctx.configIssues = next.issues.map(formatIssue);
      history.maxJobs = next.config.daemon.history_max_jobs;
      o.log.level = next.config.general.log_level;
      const { added, removed } = applyWorkers(next.workers);
      for (const key of ["socket_path"] as const) {
        if (old.general[key] !== next.config.general[key])
          o.log.warn(`general.${key} changes take effect after rch daemon restart`);
      }
      if (old.daemon.metrics_port !== next.config.daemon.metrics_port) {
        o.log.warn("daemon.metrics_port changes take effect after rch daemon restart");
      }
      for (const issue of ctx.configIssues) o.log.warn(`config: ${issue}`);
      o.log.info(
        `config reloaded (${why}): ${next.workers.length} worker(s)` +
          (added.length ? `, new/changed: ${added.join(" ")}` : "") +
          (removed.length ? `, removed/changed: ${removed.join(" ")}` : ""),
      );
      return { workers: next.workers.length, issues: ctx.configIssues };
    },
    status(recent): StatusSnapshot {
      return {
        daemon: {
          version: o.build.id,
          protocol: PROTOCOL_VERSION,
          pid: process.pid,
          startedAt: ctx.startedAt,
          socket: o.paths.socket,
          configFiles: ctx.configFiles,
          configIssues: ctx.configIssues,
          heartbeatIntervalS: ctx.config.daemon.heartbeat_interval_s,
          metricsPort: ctx.config.daemon.metrics_port,
        },
        workers: fleet.list().map((st) => ({ ...fleet.status(st), disk: disk!.status(st) })),
        jobs: { active: scheduler.activeJobs(), recent: recent > 0 ? history.recent(recent) : [] },
        queue: scheduler.queue.length + scheduler.copies.waiting,
        stats: history.stats(),
      };
    },
    shutdown(why) {
      if (stopping) return;
      stopping = true;
      onShutdown(why);
    },
    retire(why) {
      if (stopping) return;
      stopping = true;
      onRetire(why);
    },
  };
  disk = new DiskKeeper({
    fleet,
    log: o.log,
    config: () => ctx.config,
    warmWorker: (project) => scheduler.warmWorker(project),
    clientId: () => me.id,
    onSpace: () => scheduler.queue.serve(),
    ...(o.runGc ? { runGc: o.runGc } : {}),
  });
  // Simulated workers (o.probe) have no toolchains to probe: their builds carry no requirement
  // the daemon could check, so it leaves them alone (see select.ts).
  const toolchains = o.probe
    ? undefined
    : new ToolchainKeeper({
        log: o.log,
        ssh: () => ctx.config.ssh,
        onChange: () => scheduler.queue.serve(),
      });
  health = new HealthMonitor({
    fleet,
    log: o.log,
    ssh: () => ctx.config.ssh,
    onRecovered: () => scheduler.queue.serve(),
    onFailed: () => scheduler.queue.serve(),
    onFacts: (st, facts) => {
      if (facts.samePath !== undefined) st.samePath = facts.samePath;
      disk!.onHeartbeat(st, facts);
      toolchains?.onHeartbeat(st, facts);
    },
    ...(o.probe ? { probe: o.probe } : {}),
  });
  applyWorkers(loaded.workers);
  return Object.assign(ctx, {
    setShutdownHandler(fn: (why: string) => void) {
      onShutdown = fn;
    },
    setRetireHandler(fn: (why: string) => void) {
      onRetire = fn;
    },
    watchedFiles: [userConfigFile(), workersFile()],
  });
}
