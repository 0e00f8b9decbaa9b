// The dispatch table: one handler per request type. The mapped type makes a missing or
// mistyped handler a compile error.
import type { RequestOf, RequestType } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";
import { diskRefresh, drain, enable, reload, retire, shutdown, status } from "./admin.ts";
import { benchmark } from "./benchmark.ts";
import { follow } from "./follow.ts";
import { hello } from "./hello.ts";
import { claim, output, release, renew } from "./lease.ts";
import { select } from "./select.ts";
import { timingGet, timingRecord } from "./timing.ts";
import { tree } from "./tree.ts";

export type Handler<T extends RequestType> = (
  ctx: DaemonContext,
  conn: Conn,
  req: RequestOf<T>,
) => Response | undefined | Promise<Response | undefined>;

export const handlers: { [T in RequestType]: Handler<T> } = {
  hello,
  select,
  claim,
  renew,
  release,
  output,
  follow,
  "timing.get": timingGet,
  "timing.record": timingRecord,
  status,
  drain,
  enable,
  reload,
  shutdown,
  retire,
  benchmark,
  "disk.refresh": diskRefresh,
  tree,
};
