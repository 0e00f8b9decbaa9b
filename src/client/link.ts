// One lazily opened connection to rchd, shared by every request of one rch process. It starts
// the daemon at most once, replaces a daemon older than this rch (after an upgrade), and
// remembers a daemon that does not answer: a hung rchd (alive, socket open, stopped) costs a
// build one hello timeout, not one per request.
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { BUILD, daemonIsOutdated } from "../protocol/build.ts";
import { isLocked } from "../protocol/flock.ts";
import { type DaemonPaths, pathsFromConfig } from "../protocol/paths.ts";
import { okResponse } from "../protocol/responses.ts";
import { selfArgv } from "../shell/self.ts";
import { connectDaemon } from "./autostart.ts";
import type { Connection } from "./connection.ts";
import { DaemonError, DaemonUnavailableError, RequestTimeoutError, SocketForbiddenError } from "./errors.ts";

export interface ClientOptions {
  /** Default: the user's configuration (socket path, slot_wait_ms), read on first use. */
  config?: Config;
  /** How to start the daemon; default: this rch with `daemon run`. */
  daemonArgv?: string[];
  autoStart?: boolean;
  startTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How long a connected daemon may take to answer hello. A healthy one answers in well under
   * a millisecond; a stopped one never does, and the build waits this long before running here. */
  helloTimeoutMs?: number;
  /** Client name sent in hello (shows in the daemon's debug log). */
  clientName?: string;
  /** false: use whatever daemon answers, even one older than this rch (operator commands that
   * only look, like `rch daemon status`). */
  replaceOutdated?: boolean;
}

export function defaultDaemonArgv(): string[] {
  return [...selfArgv(), "daemon", "run"];
}

/** How long an outdated daemon that cannot retire (it predates `retire`) may take to stop. */
const OLD_DAEMON_STOP_MS = 3000;

export class DaemonLink {
  private cfg: Config | undefined;
  private conn: Connection | undefined;
  private startAttempted = false;
  /** Set once the daemon proved unreachable in a way retrying cannot fix within this process. */
  private failure: Error | undefined;

  constructor(private readonly opts: ClientOptions = {}) {}

  get config(): Config {
    this.cfg ??= this.opts.config ?? loadConfig({ workers: false }).config;
    return this.cfg;
  }

  get paths(): DaemonPaths {
    return pathsFromConfig(this.config);
  }

  /** Throws DaemonUnavailableError (or a protocol error) when the daemon cannot be reached. */
  async get(autoStart = this.opts.autoStart ?? true): Promise<Connection> {
    if (this.conn && !this.conn.closed) return this.conn;
    if (this.failure) throw this.failure;
    const start = autoStart && !this.startAttempted;
    if (start) this.startAttempted = true;
    try {
      let conn = await this.connect(start);
      if (this.opts.replaceOutdated !== false && daemonIsOutdated(BUILD, buildOf(conn))) {
        conn = await this.replace(conn);
      }
      this.conn = conn;
      return conn;
    } catch (e) {
      // A daemon that accepted but never answered is hung; one we could not start will not come
      // up later either. "No daemon yet" without a start attempt may still be cured by one.
      if (e instanceof RequestTimeoutError || e instanceof SocketForbiddenError || start)
        this.failure = e as Error;
      throw e;
    }
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

  private connect(autoStart: boolean): Promise<Connection> {
    return connectDaemon({
      paths: this.paths,
      autoStart,
      daemonArgv: this.opts.daemonArgv ?? defaultDaemonArgv(),
      startTimeoutMs: this.opts.startTimeoutMs ?? 5000,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 1000,
      helloTimeoutMs: this.opts.helloTimeoutMs ?? 1000,
      client: this.opts.clientName ?? `rch pid ${process.pid}`,
    });
  }

  /**
   * rch was upgraded under a running daemon: ask it to retire (it hands over the socket and its
   * lock at once and keeps serving the builds already connected to it), then connect to — that
   * is, start — a daemon of this build. A daemon too old to know `retire` is asked to shut down.
   */
  private async replace(old: Connection): Promise<Connection> {
    const reason = `rch ${BUILD.id} replaces ${old.hello.version}`;
    try {
      await old.request({ type: "retire", reason }, okResponse, 2000);
    } catch (e) {
      if (!(e instanceof DaemonError && e.code === "bad_request")) throw e;
      await old.request({ type: "shutdown" }, okResponse, 2000);
      const end = Date.now() + OLD_DAEMON_STOP_MS;
      while (isLocked(this.paths.lock)) {
        if (Date.now() > end) throw new DaemonUnavailableError(`the old rchd did not stop (${reason})`);
        await Bun.sleep(20);
      }
    } finally {
      old.close();
    }
    this.startAttempted = true;
    return this.connect(true);
  }
}

function buildOf(conn: Connection): { id: string; builtAt?: number } {
  const h = conn.hello;
  return h.builtAt === undefined ? { id: h.version } : { id: h.version, builtAt: h.builtAt };
}
