// Client end of the daemon socket: connect (bounded), hello (protocol check), then id-correlated
// requests, each with its own deadline and its reply validated against the schema the caller
// expects. Nothing here can hang a caller: every wait has a timeout, and a closed socket fails
// everything pending. The socket itself is unref'd so it never keeps a finished rch alive.
import type { Socket } from "bun";
import * as v from "valibot";
import { encodeLine, LineDecoder } from "../protocol/framing.ts";
import { PROTOCOL_VERSION, type RequestInput } from "../protocol/requests.ts";
import { errorResponse, type HelloResponse, helloResponse } from "../protocol/responses.ts";
import { SocketWriter } from "../protocol/wire.ts";
import { socketsForbidden } from "../shell/sandbox.ts";
import {
  DaemonError,
  DaemonUnavailableError,
  ProtocolError,
  RequestTimeoutError,
  SocketForbiddenError,
} from "./errors.ts";
import { connectForbidden } from "./sandboxProbe.ts";

type Pending = { onMessage(msg: Record<string, unknown>): void; fail(e: Error): void };
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
export type Outgoing = WithoutId<RequestInput>;

export interface OpenOptions {
  connectTimeoutMs?: number;
  helloTimeoutMs?: number;
  client?: string;
}

interface SockData {
  conn?: Connection;
  decoder: LineDecoder;
}

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly closers: (() => void)[] = [];
  private readonly writer: SocketWriter;
  private isClosed = false;
  hello!: HelloResponse;

  private constructor(private readonly socket: Socket<SockData>) {
    this.writer = new SocketWriter(socket as Socket<unknown>);
    socket.data.conn = this;
    // Never keeps the process alive by itself: every wait on the daemon has its own (ref'd)
    // deadline timer, and an idle connection must not stop a finished rch from exiting.
    socket.unref();
  }

  private static handlers = {
    data(socket: Socket<SockData>, chunk: Buffer) {
      for (const frame of socket.data.decoder.push(chunk)) {
        if (frame.kind === "line") socket.data.conn?.dispatch(frame.text);
      }
    },
    drain(socket: Socket<SockData>) {
      socket.data.conn?.writer.drain();
    },
    close(socket: Socket<SockData>) {
      socket.data.conn?.closedByPeer();
    },
    error() {},
  };

  private closedByPeer(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const err = new DaemonUnavailableError("the daemon closed the connection");
    for (const p of [...this.pending.values()]) p.fail(err);
    this.pending.clear();
    for (const fn of this.closers.splice(0)) fn();
  }

  static async open(socketPath: string, opts: OpenOptions = {}): Promise<Connection> {
    const timeoutMs = opts.connectTimeoutMs ?? 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Bun.connect<SockData>({
      unix: socketPath,
      data: { decoder: new LineDecoder() },
      socket: Connection.handlers,
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void connecting.then(
          (s) => s.terminate(),
          () => {},
        );
        reject(new DaemonUnavailableError(`connect to ${socketPath} timed out`));
      }, timeoutMs);
    });
    let socket: Socket<SockData>;
    try {
      socket = await Promise.race([connecting, timeout]);
    } catch (e) {
      if (e instanceof DaemonUnavailableError) throw e;
      const err = e as NodeJS.ErrnoException;
      // Bun turns a sandbox's EPERM into ECONNREFUSED (never ENOENT, the usual "no daemon yet"):
      // then ask the kernel once more.
      if (err.code === "EPERM" || (err.code !== "ENOENT" && (await connectForbidden(socketPath))))
        throw new SocketForbiddenError(socketsForbidden("connect to rchd"));
      const why =
        err.code === "ENOENT"
          ? "no socket"
          : err.code === "ECONNREFUSED"
            ? "nothing listening"
            : (err.code ?? err.message);
      throw new DaemonUnavailableError(`${socketPath}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
    const conn = new Connection(socket);
    try {
      conn.hello = await conn.request(
        { type: "hello", protocol: PROTOCOL_VERSION, client: opts.client ?? "rch", pid: process.pid },
        helloResponse,
        opts.helloTimeoutMs ?? 2000,
      );
    } catch (e) {
      conn.close();
      throw e;
    }
    return conn;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  onClose(fn: () => void): void {
    if (this.isClosed) fn();
    else this.closers.push(fn);
  }

  close(): void {
    this.socket.terminate();
    this.closedByPeer();
  }

  /** One request, one reply of `schema`'s shape (an error reply rejects with DaemonError). */
  request<S extends v.GenericSchema>(msg: Outgoing, schema: S, timeoutMs: number): Promise<v.InferOutput<S>> {
    return new Promise((resolve, reject) => {
      const id = this.write(msg);
      if (id === undefined)
        return reject(new DaemonUnavailableError("the connection to the daemon is closed"));
      const timer = setTimeout(() => {
        this.forget(id);
        reject(new RequestTimeoutError(`${msg.type}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.track(id, {
        onMessage: (m) => {
          clearTimeout(timer);
          this.forget(id);
          const parsed = v.safeParse(schema, m);
          if (parsed.success) resolve(parsed.output);
          else reject(new ProtocolError(`${msg.type}: unexpected reply ${JSON.stringify(m).slice(0, 200)}`));
        },
        fail: (e) => {
          clearTimeout(timer);
          this.forget(id);
          reject(e);
        },
      });
    });
  }

  /** A request answered by a stream of pushes; `onPush` returns true on the last one. A push
   * gap longer than `idleTimeoutMs` fails the stream (the daemon sends keep-alives). */
  stream<S extends v.GenericSchema>(
    msg: Outgoing,
    schema: S,
    idleTimeoutMs: number,
    onPush: (m: v.InferOutput<S>) => boolean,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.write(msg);
      if (id === undefined)
        return reject(new DaemonUnavailableError("the connection to the daemon is closed"));
      let timer: ReturnType<typeof setTimeout>;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.forget(id);
          reject(new RequestTimeoutError(`${msg.type}: the daemon went silent for ${idleTimeoutMs} ms`));
        }, idleTimeoutMs);
      };
      arm();
      this.track(id, {
        onMessage: (m) => {
          const parsed = v.safeParse(schema, m);
          if (!parsed.success) {
            clearTimeout(timer);
            this.forget(id);
            return reject(
              new ProtocolError(`${msg.type}: unexpected push ${JSON.stringify(m).slice(0, 200)}`),
            );
          }
          arm();
          if (onPush(parsed.output)) {
            clearTimeout(timer);
            this.forget(id);
            resolve();
          }
        },
        fail: (e) => {
          clearTimeout(timer);
          this.forget(id);
          reject(e);
        },
      });
    });
  }

  /** Fire-and-forget (output chunks). False when the connection is gone. */
  send(msg: Outgoing): boolean {
    return this.write(msg) !== undefined;
  }

  private write(msg: Outgoing): number | undefined {
    if (this.isClosed) return undefined;
    const id = this.nextId++;
    this.writer.write(encodeLine({ ...msg, id }));
    return id;
  }

  private track(id: number, p: Pending): void {
    this.pending.set(id, p);
  }

  private forget(id: number): void {
    this.pending.delete(id);
  }

  private dispatch(line: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const p = typeof m.id === "number" ? this.pending.get(m.id) : undefined;
    if (!p) return; // e.g. an error about a fire-and-forget output chunk
    if (m.type !== "error") {
      p.onMessage(m);
      return;
    }
    const err = v.safeParse(errorResponse, m);
    if (err.success) p.fail(new DaemonError(err.output.code, err.output.message));
    else p.fail(new ProtocolError(`malformed error reply: ${line.slice(0, 200)}`));
  }
}

export { DaemonError, DaemonUnavailableError, ProtocolError, RequestTimeoutError, SocketForbiddenError };
