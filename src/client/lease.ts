// Client side of a lease: renews it while the job runs, forwards output chunks for followers,
// and releases it exactly once. If the daemon dies mid-job the build carries on regardless; the
// release is then best-effort (a new daemon never knew the lease, so no slot can leak).
import type { WorkerConfig } from "../config/schema.ts";
import { claimResponse, okResponse, renewedResponse } from "../protocol/responses.ts";
import type { Claim, JobOutcome, Lease } from "../protocol/selector.ts";
import { ClientAttachment } from "./attach.ts";
import { type Connection, DaemonError } from "./connection.ts";

/** Output is forwarded in pieces well under the daemon's line limit. */
const MAX_CHUNK = 1 << 20;

export class ClientLease implements Lease {
  private released = false;
  private readonly renewTimer: ReturnType<typeof setInterval>;
  samePath?: boolean;

  /** The toolchain pin the daemon chose with the worker (Lease.pin). */
  pin?: readonly (readonly [string, string])[];

  constructor(
    private readonly conn: Connection,
    readonly leaseId: string,
    readonly jobId: string,
    readonly worker: WorkerConfig,
    readonly warm: boolean,
    ttlMs: number,
    private readonly reconnect: () => Promise<Connection | undefined>,
    /** The daemon may hold a claim up to slot_wait_ms while the worker's copy is busy. */
    private readonly claimTimeoutMs = 2000,
  ) {
    this.renewTimer = setInterval(() => this.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    this.renewTimer.unref(); // a lease must never keep a finished process alive
  }

  private renew(): void {
    if (this.released || this.conn.closed) return;
    this.conn.request({ type: "renew", leaseId: this.leaseId }, renewedResponse, 2000).catch((e: unknown) => {
      // The daemon forgot the lease (restarted, or it expired): the build goes on; stop renewing.
      if (e instanceof DaemonError && e.code === "unknown_lease") clearInterval(this.renewTimer);
    });
  }

  async claim(sourceState: string): Promise<Claim> {
    if (this.released || this.conn.closed) return { kind: "lead" };
    try {
      const r = await this.conn.request(
        { type: "claim", leaseId: this.leaseId, sourceState },
        claimResponse,
        this.claimTimeoutMs,
      );
      if (r.type === "claimed") return { kind: "lead" };
      this.released = true; // the daemon ended the lease when it answered `attach` or `local`
      clearInterval(this.renewTimer);
      if (r.type === "local") return { kind: "local", reason: r.reason };
      return { kind: "follow", attachment: new ClientAttachment(this.conn, r.jobId) };
    } catch {
      return { kind: "lead" }; // no daemon to coordinate with: just build
    }
  }

  onOutput(fd: 1 | 2, chunk: Uint8Array): void {
    if (this.released || this.conn.closed) return;
    for (let at = 0; at < chunk.length; at += MAX_CHUNK) {
      const part = chunk.subarray(at, at + MAX_CHUNK);
      const data = Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString("base64");
      this.conn.send({ type: "output", leaseId: this.leaseId, fd, data });
    }
  }

  async release(outcome: JobOutcome): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.renewTimer);
    try {
      const conn = this.conn.closed ? await this.reconnect() : this.conn;
      if (conn) await conn.request({ type: "release", leaseId: this.leaseId, outcome }, okResponse, 3000);
    } catch {
      // best-effort by contract: release never throws
    }
  }
}
