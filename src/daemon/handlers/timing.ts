// timing.get / timing.record: per project and command kind, the average local and remote
// durations `rch exec` uses to skip offloading builds that are quick anyway.
import type { RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";

export function timingGet(ctx: DaemonContext, _conn: Conn, req: RequestOf<"timing.get">): Response {
  return { type: "timing", id: req.id, ...ctx.store.timing(req.projectRoot, req.kind) };
}

export function timingRecord(ctx: DaemonContext, _conn: Conn, req: RequestOf<"timing.record">): Response {
  ctx.store.recordTiming(req.projectRoot, req.kind, req.where, req.ms);
  return { type: "ok", id: req.id };
}
