// What `rch exec` uses to reach the fleet: WorkerSelector + TimingStore over the daemon socket,
// starting rchd once when it is absent and failing open — every problem becomes
// { kind: "local", reason } in bounded time. (admin.ts is the operator's side.)

import { okResponse, selectResponse, timingResponse, treeResponse } from "../protocol/responses.ts";
import type {
  CommandKind,
  FleetService,
  Selection,
  SelectRequest,
  TimingStats,
} from "../protocol/selector.ts";
import { ClientAttachment } from "./attach.ts";
import { type Connection, SocketForbiddenError } from "./connection.ts";
import { ClientLease } from "./lease.ts";
import { type ClientOptions, DaemonLink } from "./link.ts";

export type DaemonSelector = FleetService;

export function createDaemonSelector(opts: ClientOptions = {}): FleetService {
  const link = new DaemonLink(opts);
  const selectTimeout = () => link.config.daemon.slot_wait_ms + 5000;
  return {
    async select(req: SelectRequest): Promise<Selection> {
      let conn: Connection;
      try {
        conn = await link.get();
      } catch (e) {
        const why = (e as Error).message;
        return {
          kind: "local",
          reason: e instanceof SocketForbiddenError ? why : `daemon unreachable: ${why}`,
        };
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
              ...(req.toolchain ? { toolchain: req.toolchain } : {}),
              tags: req.tags ?? [],
            },
            ...(req.waitMs !== undefined ? { waitMs: Math.max(0, Math.round(req.waitMs)) } : {}),
            ...(req.retry ? { retry: true } : {}),
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
        if (r.samePath !== undefined) lease.samePath = r.samePath;
        if (r.pin) lease.pin = r.pin;
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

    // The connection the select opened. A short deadline: a slow answer costs more than the walk
    // it would spare a small tree, and any failure just means "walk it".
    async tree(ask) {
      try {
        const conn = await link.existing();
        const r = await conn?.request({ type: "tree", ...ask }, treeResponse, 1000);
        return r?.state === "ready" ? r : undefined;
      } catch {
        return undefined;
      }
    },

    close: () => link.close(),
  };
}
