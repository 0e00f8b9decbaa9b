// The daemon's clients. createDaemonSelector() is what `rch exec` uses: WorkerSelector +
// TimingStore over the socket, starting rchd once when it is absent and failing open — every
// problem becomes { kind: "local", reason } in bounded time. createDaemonClient() is the
// operator's side (status, drain, enable, benchmark, reload, shutdown) for the CLI.
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { selfArgv } from "../shell/self.ts";
import { ClientAttachment } from "./attach.ts";
import { connectDaemon } from "./autostart.ts";
import type { Connection } from "./connection.ts";
import { ClientLease } from "./lease.ts";
import { type DaemonPaths, pathsFromConfig } from "./paths.ts";
import { okResponse, selectResponse, timingResponse } from "./responses.ts";
import type {
  CommandKind,
  Selection,
  SelectRequest,
  TimingStats,
  TimingStore,
  WorkerSelector,
} from "./selector.ts";

export interface ClientOptions {
  /** Default: loadConfig().config (socket path, slot_wait_ms). */
  config?: Config;
  /** How to start the daemon; default: this rch with `daemon run`. */
  daemonArgv?: string[];
  autoStart?: boolean;
  startTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Client name sent in hello (shows in the daemon's debug log). */
  clientName?: string;
}

export function defaultDaemonArgv(): string[] {
  return [...selfArgv(), "daemon", "run"];
}

/** RCH_TAGS=a,b: only workers carrying both tags a and b. */
export function tagsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.RCH_TAGS ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** One lazily opened connection; auto-start is attempted at most once per instance. */
export class DaemonLink {
  readonly config: Config;
  readonly paths: DaemonPaths;
  private conn: Connection | undefined;
  private startAttempted = false;

  constructor(private readonly opts: ClientOptions = {}) {
    this.config = opts.config ?? loadConfig().config;
    this.paths = pathsFromConfig(this.config);
  }

  /** Throws DaemonUnavailableError (or a protocol error) when the daemon cannot be reached. */
  async get(autoStart = this.opts.autoStart ?? true): Promise<Connection> {
    if (this.conn && !this.conn.closed) return this.conn;
    const start = autoStart && !this.startAttempted;
    if (start) this.startAttempted = true;
    this.conn = await connectDaemon({
      paths: this.paths,
      autoStart: start,
      daemonArgv: this.opts.daemonArgv ?? defaultDaemonArgv(),
      startTimeoutMs: this.opts.startTimeoutMs ?? 5000,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 1000,
      client: this.opts.clientName ?? `rch pid ${process.pid}`,
    });
    return this.conn;
  }

  /** A connection only if one can be had without starting a daemon (for best-effort messages). */
  async existing(): Promise<Connection | undefined> {
    try {
      return await this.get(false);
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}

export type DaemonSelector = WorkerSelector & TimingStore & { close(): void };

export function createDaemonSelector(opts: ClientOptions = {}): DaemonSelector {
  const link = new DaemonLink(opts);
  const selectTimeout = () => link.config.daemon.slot_wait_ms + 5000;
  const envTags = tagsFromEnv();
  return {
    async select(req: SelectRequest & { tags?: string[] }): Promise<Selection> {
      let conn: Connection;
      try {
        conn = await link.get();
      } catch (e) {
        return { kind: "local", reason: `daemon unreachable: ${(e as Error).message}` };
      }
      try {
        const r = await conn.request(
          {
            type: "select",
            job: {
              projectRoot: req.projectRoot,
              kind: req.kind,
              argv: req.argv,
              env: req.env,
              sourceState: req.sourceState,
              preferredWorkers: req.preferredWorkers,
              ...(req.forcedWorker ? { forcedWorker: req.forcedWorker } : {}),
              ...(req.allowedWorkers ? { allowedWorkers: req.allowedWorkers } : {}),
              ...(req.sharedCopy ? { sharedCopy: true } : {}),
              tags: req.tags ?? envTags,
            },
          },
          selectResponse,
          selectTimeout(),
        );
        if (r.type === "local") return { kind: "local", reason: r.reason };
        if (r.type === "attach") return { kind: "attach", attachment: new ClientAttachment(conn, r.jobId) };
        const lease = new ClientLease(
          conn,
          r.leaseId,
          r.jobId,
          r.worker,
          r.warm,
          r.ttlMs,
          () => link.existing(),
          selectTimeout(),
        );
        return { kind: "worker", lease };
      } catch (e) {
        return { kind: "local", reason: `daemon error: ${(e as Error).message}` };
      }
    },

    async get(projectRoot: string, kind: CommandKind): Promise<TimingStats> {
      try {
        const conn = await link.get();
        const r = await conn.request({ type: "timing.get", projectRoot, kind }, timingResponse, 1000);
        const out: TimingStats = {};
        if (r.localMs !== undefined) out.localMs = r.localMs;
        if (r.remoteMs !== undefined) out.remoteMs = r.remoteMs;
        return out;
      } catch {
        return {}; // no history is the fail-open answer: the build is considered for offloading
      }
    },

    async record(
      projectRoot: string,
      kind: CommandKind,
      where: "local" | "remote",
      ms: number,
    ): Promise<void> {
      try {
        const conn = await link.existing();
        await conn?.request({ type: "timing.record", projectRoot, kind, where, ms }, okResponse, 1000);
      } catch {
        // best-effort
      }
    },

    close: () => link.close(),
  };
}
