// hello: the first message on every connection. A client speaking another protocol version is
// told so and disconnected, instead of being half-understood.
import { PROTOCOL_VERSION, type RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";

export function hello(ctx: DaemonContext, conn: Conn, req: RequestOf<"hello">): Response {
  if (req.protocol !== PROTOCOL_VERSION) {
    return {
      type: "error",
      id: req.id,
      code: "protocol_mismatch",
      message: `daemon speaks protocol ${PROTOCOL_VERSION}, client ${req.protocol}; restart the daemon (rch daemon restart)`,
    };
  }
  conn.helloed = true;
  ctx.log.debug(`conn ${conn.id}: hello from ${req.client} (pid ${req.pid})`);
  return {
    type: "hello",
    id: req.id,
    protocol: PROTOCOL_VERSION,
    version: ctx.build.id,
    builtAt: ctx.build.builtAt,
    pid: process.pid,
    startedAt: ctx.startedAt,
  };
}
