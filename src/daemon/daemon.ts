// rchd's lifecycle: become the one daemon for this socket (flock), listen, run heartbeats, the
// lease sweeper, the config watcher and (opt-in) metrics; on SIGTERM/SIGINT or a `shutdown`
// request stop cleanly and remove the socket. SIGHUP reloads the configuration. A `retire` request
// (a newer rch found this daemon running) hands the socket and the lock over at once and keeps
// serving the connections already open until the last one closes.
import { statSync } from "node:fs";
import type { SocketListener } from "bun";
import { loadConfig } from "../config/load.ts";
import type { BuildIdentity } from "../protocol/build.ts";
import { pathsFromConfig } from "../protocol/paths.ts";
import { buildContext } from "./build.ts";
import type { Probe } from "./health.ts";
import { IdleCollector } from "./idlegc.ts";
import { acquireDaemonLock, prepareSocketDir, removeDaemonFiles } from "./lifecycle.ts";
import { createLogger, type Logger } from "./log.ts";
import { renderMetrics, serveMetrics } from "./metrics.ts";
import { listen } from "./server.ts";
import { watchFiles } from "./watch.ts";

export interface DaemonOptions {
  build: BuildIdentity;
  /** Lease time-to-live without a renew; clients renew every third of it. */
  leaseTtlMs?: number;
  /** false: no ssh heartbeats, every worker counts as healthy (benchmarks with simulated workers). */
  heartbeats?: boolean;
  log?: Logger;
}

/** A dead client is noticed at once (its socket closes); the TTL only catches one that hangs
 * while connected. Long enough that a client blocked on a full stdout pipe keeps its lease. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

const fakeProbe: Probe = async () => ({ ok: true, latencyMs: 0 });

/** Runs until stopped; resolves with the process exit code. Throws AlreadyRunningError. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const { config } = loadConfig();
  const log = opts.log ?? createLogger(config.general.log_level);
  const paths = pathsFromConfig(config);
  prepareSocketDir(paths.socket, log);
  const lock = acquireDaemonLock(paths);
  const ctx = buildContext({
    build: opts.build,
    paths,
    log,
    leaseTtlMs: opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    ...(opts.heartbeats === false ? { probe: fakeProbe } : {}),
  });
  const idleGc = new IdleCollector();
  let server: SocketListener<unknown>;
  const connections: { open: number; onClose?: () => void } = { open: 0 };
  try {
    server = listen(ctx, paths.socket, {
      onTraffic: () => idleGc.touch(),
      connections,
    }) as SocketListener<unknown>;
  } catch (e) {
    ctx.health.stop();
    ctx.disk.stop();
    ctx.slots.stop();
    ctx.store.close();
    lock.release();
    throw e;
  }
  const socketId = fileId(paths.socket);
  let retired = false;
  const sweeper = setInterval(() => {
    ctx.scheduler.sweep();
    // Someone deleted or replaced our socket (a removed test dir, a new daemon after a manual
    // cleanup): no client can reach this daemon any more, so it must not linger.
    if (!retired && fileId(paths.socket) !== socketId) ctx.shutdown("socket file removed or replaced");
  }, 500);
  const watcher = watchFiles(ctx.watchedFiles, () => ctx.reload("file changed"));
  const port = ctx.config.daemon.metrics_port;
  let metrics: { stop(): void } | undefined;
  if (port > 0) {
    try {
      metrics = serveMetrics(port, () => renderMetrics(ctx.status(0), ctx.selectTimes));
      log.info(`metrics on http://127.0.0.1:${port}/metrics`);
    } catch (e) {
      log.error(`metrics port ${port}: ${(e as Error).message}`);
    }
  }
  const workers = ctx.fleet.list();
  const slots = workers.reduce((n, w) => n + w.config.total_slots, 0);
  log.info(
    `rchd ${opts.build.id} (pid ${process.pid}) listening on ${paths.socket}: ${workers.length} worker(s), ${slots} slot(s)` +
      (opts.heartbeats === false ? ", heartbeats simulated" : ""),
  );
  for (const issue of ctx.configIssues) log.warn(`config: ${issue}`);

  // A bug that escapes every handler: say so in the log and exit. Clients fail open meanwhile,
  // and the next one starts a fresh daemon; limping on with unknown state would be worse.
  const onCrash = (e: unknown) => {
    log.error(`crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    log.flush();
    removeDaemonFiles(paths);
    process.exit(70);
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  const stopped = new Promise<string>((resolve) => {
    ctx.setShutdownHandler(resolve);
    ctx.setRetireHandler((why) => {
      // Let go of everything a successor needs — the listening socket, its file, the lock — right
      // now; the builds already talking to us finish with us.
      retired = true;
      server.stop(false);
      removeDaemonFiles(paths);
      lock.release();
      log.info(`retiring (${why}): handed the socket over; ${connections.open} connection(s) still served`);
      const whenIdle = () => {
        if (connections.open === 0) resolve(`retired: ${why}`);
      };
      connections.onClose = whenIdle;
      whenIdle();
    });
  });
  const onSignal = (sig: NodeJS.Signals) => ctx.shutdown(sig);
  const onHup = () => ctx.reload("SIGHUP");
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onHup);

  const why = await stopped;
  log.info(
    `stopping (${why}); ${ctx.scheduler.jobs.active().length} job(s) in flight keep running on their own`,
  );
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  process.off("SIGHUP", onHup);
  clearInterval(sweeper);
  idleGc.stop();
  watcher.close();
  metrics?.stop();
  ctx.health.stop();
  ctx.disk.stop();
  ctx.slots.stop();
  server.stop(true); // also drops connected clients: their leases die with this daemon anyway
  if (!retired) removeDaemonFiles(paths);
  ctx.store.close();
  if (!retired) lock.release();
  log.info("stopped");
  log.flush();
  return 0;
}

function fileId(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}
