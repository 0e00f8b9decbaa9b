// Client side of single-flight: write the leader's output to our stdout/stderr from its first
// byte, then resolve with the leader's exit code. When the leader will never deliver one (it
// died, fell back locally, the daemon went away or went silent) follow() rejects with
// AttachAbandonedError, and `rch exec` runs the build itself — a follower never hangs.

import { followPush } from "../protocol/responses.ts";
import type { Attachment } from "../protocol/selector.ts";
import { type Connection, DaemonError } from "./connection.ts";

/** The daemon sends a keep-alive every 5 s; this much silence means it is gone or hung. */
export const FOLLOW_IDLE_TIMEOUT_MS = 30_000;

export class AttachAbandonedError extends Error {
  override name = "AttachAbandonedError";
}

function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      stream.write("", () => resolve());
    } catch {
      resolve();
    }
  });
}

export class ClientAttachment implements Attachment {
  constructor(
    private readonly conn: Connection,
    readonly jobId: string,
    private readonly idleTimeoutMs = FOLLOW_IDLE_TIMEOUT_MS,
  ) {}

  async follow(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
    let exitCode: number | undefined;
    let abandoned: string | undefined;
    try {
      await this.conn.stream({ type: "follow", jobId: this.jobId }, followPush, this.idleTimeoutMs, (m) => {
        switch (m.type) {
          case "chunk":
            (m.fd === 2 ? stderr : stdout).write(Buffer.from(m.data, "base64"));
            return false;
          case "wait":
            return false;
          case "end":
            exitCode = m.exitCode;
            return true;
          case "abandoned":
            abandoned = m.reason;
            return true;
        }
      });
    } catch (e) {
      const why = e instanceof DaemonError ? `${e.code}: ${e.message}` : (e as Error).message;
      abandoned = `lost the leader's stream (${why})`;
    }
    await Promise.all([flush(stdout), flush(stderr)]);
    if (exitCode === undefined) throw new AttachAbandonedError(abandoned ?? "the leader stopped");
    return exitCode;
  }
}
