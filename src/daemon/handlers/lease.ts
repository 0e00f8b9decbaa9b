// renew, release, output: what the holder of a lease sends while its job runs.
import type { RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";
import type { ClaimResult } from "../scheduler.ts";

const unknown = (id: number, leaseId: string): Response => ({
  type: "error",
  id,
  code: "unknown_lease",
  message: `lease ${leaseId} is not held (released, expired, or granted by an earlier daemon)`,
});

export function renew(ctx: DaemonContext, _conn: Conn, req: RequestOf<"renew">): Response {
  const lease = ctx.scheduler.renew(req.leaseId);
  return lease ? { type: "renewed", id: req.id, expiresAt: lease.expiresAt } : unknown(req.id, req.leaseId);
}

export function release(ctx: DaemonContext, _conn: Conn, req: RequestOf<"release">): Response {
  return ctx.scheduler.release(req.leaseId, req.outcome)
    ? { type: "ok", id: req.id }
    : unknown(req.id, req.leaseId);
}

export function claim(
  ctx: DaemonContext,
  _conn: Conn,
  req: RequestOf<"claim">,
): Response | Promise<Response> {
  const r = ctx.scheduler.claim(req.leaseId, req.sourceState, req.waitMs ?? ctx.config.daemon.slot_wait_ms);
  if (!r) return unknown(req.id, req.leaseId);
  const answer = (c: ClaimResult): Response => {
    if (c.kind === "lead") return { type: "claimed", id: req.id };
    if (c.kind === "attach") return { type: "attach", id: req.id, jobId: c.jobId };
    return { type: "local", id: req.id, reason: c.reason };
  };
  // Usually at once; a wait for the worker's copy of the project goes through a promise.
  return r instanceof Promise ? r.then(answer) : answer(r);
}

/** No reply on success: output chunks are frequent and the leader must never wait on them. */
export function output(ctx: DaemonContext, _conn: Conn, req: RequestOf<"output">): Response | undefined {
  return ctx.scheduler.output(req.leaseId, req.fd, req.data) ? undefined : unknown(req.id, req.leaseId);
}
