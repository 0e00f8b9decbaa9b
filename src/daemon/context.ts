// What a request handler may use: the daemon's state and its few actions. Handlers get this
// instead of importing the daemon, which keeps them small and testable in-process.
import type { Config } from "../config/schema.ts";
import type { BuildIdentity } from "../protocol/build.ts";
import type { DaemonPaths } from "../protocol/paths.ts";
import type { Response } from "../protocol/responses.ts";
import type { StatusSnapshot } from "../protocol/status.ts";
import type { DiskKeeper } from "./disk.ts";
import type { Fleet } from "./fleet.ts";
import type { HealthMonitor } from "./health.ts";
import type { History } from "./history.ts";
import type { Logger } from "./log.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SlotWatch } from "./slotwatch.ts";
import type { Store } from "./store.ts";
import type { TreeViews } from "./treeviews.ts";

/** One client connection as handlers see it. */
export interface Conn {
  readonly id: number;
  helloed: boolean;
  readonly closed: boolean;
  send(msg: Response): void;
  /** Closes after pending replies are written. */
  end(): void;
  /** Runs when the socket closes (the client exited, crashed or was killed). */
  onClose(fn: () => void): void;
}

export interface ReloadResult {
  workers: number;
  issues: string[];
}

export interface DaemonContext {
  readonly build: BuildIdentity;
  readonly startedAt: number;
  readonly paths: DaemonPaths;
  config: Config;
  configFiles: string[];
  configIssues: string[];
  readonly fleet: Fleet;
  readonly scheduler: Scheduler;
  readonly health: HealthMonitor;
  readonly disk: DiskKeeper;
  /** Slot counts of workers shared with other workstations. */
  readonly slots: SlotWatch;
  readonly store: Store;
  readonly history: History;
  readonly log: Logger;
  /** Ring of recent select latencies (ms) for metrics. */
  readonly selectTimes: { samples(): number[]; add(ms: number): void; count: number };
  /** Live views of the project trees builds ask about (the `tree` message). */
  readonly trees: TreeViews;
  reload(why: string): ReloadResult;
  status(recent: number): StatusSnapshot;
  shutdown(why: string): void;
  /** Hands the socket and the daemon lock over to a newer daemon at once, keeps serving the
   * connections it has (running builds, their followers, waiters), and exits when the last one
   * closes. */
  retire(why: string): void;
  readonly stopping: boolean;
}
