// status, drain, enable, reload, shutdown, retire, disk.refresh: the operator's requests (retire
// comes from a newer rch client that found this daemon outdated).
import type { RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";

export function status(ctx: DaemonContext, _conn: Conn, req: RequestOf<"status">): Response {
  return { type: "status", id: req.id, status: ctx.status(req.recent) };
}

function setDrained(ctx: DaemonContext, id: number, workerId: string, drained: boolean): Response {
  const st = ctx.fleet.get(workerId);
  if (!st) {
    const known = ctx.fleet.list().map((w) => w.config.id);
    return {
      type: "error",
      id,
      code: "unknown_worker",
      message: `no worker '${workerId}' (configured: ${known.join(", ") || "none"})`,
    };
  }
  const changed = st.drained !== drained;
  st.drained = drained;
  ctx.store.setDrained(workerId, drained);
  if (changed) ctx.log.info(`worker ${workerId}: ${drained ? "drained (no new jobs)" : "enabled again"}`);
  if (!drained) ctx.scheduler.queue.serve();
  const busy = drained && st.used > 0 ? `; ${st.used} running job(s) finish there` : "";
  return {
    type: "ok",
    id,
    message: `${workerId} ${drained ? "drained" : "enabled"}${changed ? "" : " (already)"}${busy}`,
  };
}

export function drain(ctx: DaemonContext, _conn: Conn, req: RequestOf<"drain">): Response {
  return setDrained(ctx, req.id, req.workerId, true);
}

export function enable(ctx: DaemonContext, _conn: Conn, req: RequestOf<"enable">): Response {
  return setDrained(ctx, req.id, req.workerId, false);
}

export function reload(ctx: DaemonContext, _conn: Conn, req: RequestOf<"reload">): Response {
  const r = ctx.reload("requested by a client");
  return { type: "reloaded", id: req.id, workers: r.workers, issues: r.issues };
}

export function shutdown(ctx: DaemonContext, _conn: Conn, req: RequestOf<"shutdown">): Response {
  setImmediate(() => ctx.shutdown("requested by a client"));
  return { type: "ok", id: req.id, message: `rchd (pid ${process.pid}) is stopping` };
}

export function retire(ctx: DaemonContext, _conn: Conn, req: RequestOf<"retire">): Response {
  // Before the reply: once the client reads it, the socket and the lock are free for a successor.
  ctx.retire(req.reason);
  return { type: "ok", id: req.id, message: `rchd (pid ${process.pid}, ${ctx.build.id}) is handing over` };
}

export function diskRefresh(ctx: DaemonContext, _conn: Conn, req: RequestOf<"disk.refresh">): Response {
  const known = req.workerIds.filter((w) => ctx.fleet.get(w));
  for (const w of known) {
    ctx.health.checkNow(w);
    ctx.disk.refresh(w);
  }
  return { type: "ok", id: req.id, message: `re-reading the disk of ${known.join(", ") || "no worker"}` };
}
