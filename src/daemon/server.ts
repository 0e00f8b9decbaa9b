// The unix socket: framing, validation at the boundary, dispatch. A malformed line costs its
// sender one error reply; the connection and the daemon keep going. The socket is created 0600
// (umask during bind, chmod after), so only this user can connect. Bun's native sockets, not
// node:net: per-message overhead is what selection latency under load is made of.
import { chmodSync, rmSync } from "node:fs";
import type { Socket, SocketListener } from "bun";
import * as v from "valibot";
import { encodeLine, LineDecoder, MAX_LINE_BYTES } from "../protocol/framing.ts";
import { type Request, requestSchemas } from "../protocol/requests.ts";
import type { ErrorCode, Response } from "../protocol/responses.ts";
import { SocketWriter } from "../protocol/wire.ts";
import type { Conn, DaemonContext } from "./context.ts";
import { type Handler, handlers } from "./handlers/index.ts";

/** A client that reads nothing while we write megabytes is cut off rather than buffered forever. */
const MAX_PENDING_WRITE = 64 << 20;

let nextConnId = 1;

function idOf(raw: unknown): number | null {
  if (raw && typeof raw === "object" && "id" in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === "number" && Number.isInteger(id) && id >= 0) return id;
  }
  return null;
}

const knownTypes = Object.keys(requestSchemas);

function schemaFor(raw: unknown): (typeof requestSchemas)[keyof typeof requestSchemas] | string {
  const type = raw && typeof raw === "object" ? (raw as { type?: unknown }).type : undefined;
  if (typeof type === "string" && Object.hasOwn(requestSchemas, type))
    return requestSchemas[type as keyof typeof requestSchemas];
  const got = type === undefined ? "no type" : `type ${JSON.stringify(type)}`;
  return `${got}: expected a message object whose type is one of ${knownTypes.join(", ")}`;
}

function describeIssues(issues: v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path?.map((p) => String(p.key)).join(".");
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("; ");
}

interface ConnData {
  conn: Conn;
  writer: SocketWriter;
  decoder: LineDecoder;
  closed: boolean;
  closers: (() => void)[];
}

function wrap(socket: Socket<ConnData>, ctx: DaemonContext): ConnData {
  const writer = new SocketWriter(socket as Socket<unknown>);
  const data: ConnData = {
    writer,
    decoder: new LineDecoder(MAX_LINE_BYTES),
    closed: false,
    closers: [],
    conn: undefined!,
  };
  data.conn = {
    id: nextConnId++,
    helloed: false,
    get closed() {
      return data.closed;
    },
    send(msg: Response) {
      if (data.closed) return;
      if (writer.pending > MAX_PENDING_WRITE) {
        ctx.log.warn(`conn ${data.conn.id}: client is not reading; disconnecting it`);
        socket.terminate();
        return;
      }
      writer.write(encodeLine(msg));
    },
    end() {
      if (!data.closed) writer.end();
    },
    onClose(fn) {
      if (data.closed) fn();
      else data.closers.push(fn);
    },
  };
  return data;
}

function closed(ctx: DaemonContext, data: ConnData): void {
  if (data.closed) return;
  data.closed = true;
  for (const fn of data.closers.splice(0)) fn();
  ctx.scheduler.connectionClosed(data.conn.id);
}

function dispatch(ctx: DaemonContext, conn: Conn, line: string): void {
  const fail = (id: number | null, code: ErrorCode, message: string) =>
    conn.send({ type: "error", id, code, message });
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    fail(null, "bad_json", `not JSON: ${(e as Error).message}`);
    return;
  }
  const schema = schemaFor(raw);
  if (typeof schema === "string") {
    fail(idOf(raw), "bad_request", schema);
    return;
  }
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) {
    fail(idOf(raw), "bad_request", describeIssues(parsed.issues));
    return;
  }
  const req = parsed.output as Request;
  if (!conn.helloed && req.type !== "hello") {
    fail(req.id, "hello_required", "send hello (with the protocol version) first");
    return;
  }
  const handler = handlers[req.type] as Handler<typeof req.type>;
  const done = (reply: Response | undefined) => {
    if (reply) conn.send(reply);
    if (reply?.type === "error" && reply.code === "protocol_mismatch") conn.end();
  };
  const failed = (e: unknown) => {
    ctx.log.error(`conn ${conn.id}: ${req.type} failed: ${(e as Error).stack ?? String(e)}`);
    fail(req.id, "internal", (e as Error).message);
  };
  try {
    const reply = handler(ctx, conn, req as never);
    // Most handlers answer synchronously; only those that wait (select, benchmark) go async.
    if (reply instanceof Promise) reply.then(done, failed);
    else done(reply);
  } catch (e) {
    failed(e);
  }
}

export interface ListenOptions {
  /** Called once per chunk of bytes received (the idle collector's traffic signal). */
  onTraffic?: () => void;
  /** Kept up to date with the number of open client connections, and called when one closes
   * (a retiring daemon exits after the last one). */
  connections?: { open: number; onClose?: () => void };
}

export function listen(
  ctx: DaemonContext,
  socketPath: string,
  opts: ListenOptions = {},
): SocketListener<ConnData> {
  const onTraffic = opts.onTraffic ?? (() => {});
  const count = opts.connections ?? { open: 0 };
  rmSync(socketPath, { force: true }); // stale: we hold the daemon lock, so no live daemon owns it
  const oldMask = process.umask(0o177); // the socket is born 0600: no window where others may connect
  try {
    const server = Bun.listen<ConnData>({
      unix: socketPath,
      socket: {
        open(socket) {
          count.open++;
          socket.data = wrap(socket, ctx);
        },
        data(socket, chunk) {
          onTraffic();
          const { conn, decoder } = socket.data;
          for (const frame of decoder.push(chunk)) {
            if (frame.kind === "too_long") {
              const message = `line of ${frame.bytes} bytes exceeds ${MAX_LINE_BYTES}`;
              conn.send({ type: "error", id: null, code: "too_long", message });
            } else {
              dispatch(ctx, conn, frame.text);
            }
          }
        },
        drain(socket) {
          socket.data.writer.drain();
        },
        close(socket) {
          count.open--;
          closed(ctx, socket.data);
          count.onClose?.();
        },
        error(socket, e) {
          ctx.log.debug(`conn ${socket.data?.conn.id}: ${e.message}`);
        },
      },
    });
    chmodSync(socketPath, 0o600);
    return server;
  } finally {
    process.umask(oldMask);
  }
}
