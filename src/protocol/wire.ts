// Writing to a Bun socket. Bun's native sockets (several times cheaper per message than the
// node:net shim, which matters for selection latency) may accept only part of a write; the rest
// is queued here and sent from the socket's drain callback, in order.
import type { Socket } from "bun";

export class SocketWriter {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private endWhenDrained = false;

  constructor(private readonly socket: Socket<unknown>) {}

  /** Bytes accepted by us but not yet by the kernel. */
  get pending(): number {
    return this.queuedBytes;
  }

  write(text: string): void {
    if (this.queue.length > 0) {
      this.enqueue(Buffer.from(text));
      return;
    }
    const n = this.socket.write(text); // bytes written (UTF-8)
    if (n >= text.length && n === Buffer.byteLength(text)) return;
    const bytes = Buffer.from(text);
    if (n < bytes.length) this.enqueue(bytes.subarray(Math.max(0, n)));
  }

  /** Call from the socket's drain handler. */
  drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.socket.write(head);
      if (n < head.length) {
        this.queue[0] = head.subarray(Math.max(0, n));
        this.queuedBytes -= Math.max(0, n);
        return;
      }
      this.queue.shift();
      this.queuedBytes -= head.length;
    }
    if (this.endWhenDrained) this.socket.end();
  }

  /** Closes once everything written so far has gone out. */
  end(): void {
    if (this.queue.length === 0) this.socket.end();
    else this.endWhenDrained = true;
  }

  private enqueue(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
  }
}
