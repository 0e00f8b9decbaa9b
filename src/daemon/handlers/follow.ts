// follow: the leader's output from its first byte, then live, then its exit code ("end") — or
// "abandoned" when the leader will never report one, so the follower builds by itself.
import type { RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";

/** A silent build still shows the follower that the daemon is alive this often. */
export const KEEPALIVE_MS = 5000;

export function follow(ctx: DaemonContext, conn: Conn, req: RequestOf<"follow">): Response | undefined {
  const job = ctx.scheduler.jobs.get(req.jobId);
  if (!job)
    return {
      type: "error",
      id: req.id,
      code: "unknown_job",
      message: `no job ${req.jobId} (finished long ago?)`,
    };
  const id = req.id;
  let done = false;
  const keepalive = setInterval(() => conn.send({ type: "wait", id }), KEEPALIVE_MS);
  const stop = () => {
    done = true;
    clearInterval(keepalive);
  };
  const unsubscribe = ctx.scheduler.jobs.subscribe(job, {
    chunk: (fd, data) => conn.send({ type: "chunk", id, fd, data }),
    end: (exitCode) => {
      stop();
      conn.send({ type: "end", id, exitCode });
    },
    abandoned: (reason) => {
      stop();
      conn.send({ type: "abandoned", id, reason });
    },
  });
  if (done) return undefined;
  conn.onClose(() => {
    stop();
    unsubscribe();
  });
  return undefined;
}
