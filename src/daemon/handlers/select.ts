// select: a lease on a worker, an attachment to an identical in-flight job, or "local".
import type { RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";
import { localLibc } from "../libc.ts";
import type { SelectResult } from "../scheduler.ts";

export function select(
  ctx: DaemonContext,
  conn: Conn,
  req: RequestOf<"select">,
): Response | Promise<Response> {
  const t0 = performance.now();
  if (ctx.stopping) return { type: "local", id: req.id, reason: "the daemon is shutting down" };
  const waitMs = req.waitMs ?? ctx.config.daemon.slot_wait_ms;
  const answer = (r: SelectResult): Response => {
    ctx.selectTimes.add(performance.now() - t0);
    if (r.kind === "attach") return { type: "attach", id: req.id, jobId: r.jobId };
    if (r.kind === "local") return { type: "local", id: req.id, reason: r.reason };
    return {
      type: "lease",
      id: req.id,
      leaseId: r.lease.id,
      jobId: r.lease.jobId,
      worker: r.worker,
      warm: r.warm,
      ...samePathOf(ctx, r.worker.id),
      ...(r.pin ? { pin: r.pin } : {}),
      ttlMs: r.lease.expiresAt - r.lease.grantedAt,
      expiresAt: r.lease.expiresAt,
      waitedMs: r.waitedMs,
    };
  };
  const r = ctx.scheduler.select(withLibc(req.job), waitMs, conn.id, req.dedup, req.retry);
  // Usually answered on the spot; only a wait for a free slot goes through a promise.
  return r instanceof Promise ? r.then(answer) : answer(r);
}

/** What the worker's last heartbeat said about same-path builds (nothing before the first). */
function samePathOf(ctx: DaemonContext, id: string): { samePath?: boolean } {
  const s = ctx.fleet.get(id)?.samePath;
  return s === undefined ? {} : { samePath: s };
}

/** A build that needs a toolchain needs this machine's C library too (protocol/toolchains.ts). */
function withLibc(job: RequestOf<"select">["job"]): RequestOf<"select">["job"] {
  const libc = localLibc();
  if (!job.toolchain || job.toolchain.libc !== undefined || libc === undefined) return job;
  return { ...job, toolchain: { ...job.toolchain, libc } };
}
