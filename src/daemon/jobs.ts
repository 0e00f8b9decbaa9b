// Single-flight: jobs in flight, keyed by what makes two jobs identical (project root, kind,
// argv, environment, synced source state). A newcomer identical to an in-flight job follows it:
// it gets the leader's output from the first byte (replayed from a buffer) and then live, and the
// leader's exit code once the leader released its lease — i.e. once the artifacts are in place.
import type { JobSpec } from "../protocol/requests.ts";
import { newId } from "./ids.ts";

/** Replay buffer cap per job; past it, late followers are told to build themselves. */
export const MAX_REPLAY_BYTES = 32 << 20;
/** Finished jobs stay followable this long, for a follower whose `follow` arrives late. */
export const RETAIN_MS = 60_000;

export interface Follower {
  chunk(fd: 1 | 2, data: string): void;
  end(exitCode: number): void;
  abandoned(reason: string): void;
}

export type JobState = "waiting" | "running" | "done" | "abandoned";

export interface Job {
  id: string;
  key: string | undefined;
  spec: JobSpec;
  state: JobState;
  startedAt: number;
  leaseId?: string;
  workerId?: string;
  chunks: { fd: 1 | 2; data: string }[];
  bytes: number;
  /** The replay buffer overflowed: nobody new may follow. */
  truncated: boolean;
  followers: Set<Follower>;
  /** Requests that were answered `attach` to this job (dedup hits). */
  attached: number;
  exitCode?: number;
  endReason?: string;
}

/** The identity itself, not a digest of it: JSON is unambiguous, so equal keys mean equal jobs
 * with no collision to reason about, and a map lookup is cheaper than hashing on every select. */
export function dedupKey(spec: JobSpec): string {
  const env = Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([spec.projectRoot, spec.kind, spec.argv, env, spec.sourceState, spec.toolchain]);
}

export class Jobs {
  private readonly byKey = new Map<string, Job>();
  private readonly byId = new Map<string, Job>();
  /** Finished jobs in the order they finished, with when; swept by forget(). */
  private readonly retired: { job: Job; at: number }[] = [];

  /** The in-flight job a newcomer with this key may follow. */
  followable(key: string): Job | undefined {
    const job = this.byKey.get(key);
    return job && !job.truncated && (job.state === "waiting" || job.state === "running") ? job : undefined;
  }

  create(spec: JobSpec, dedup: boolean): Job {
    const job: Job = {
      id: newId("j"),
      key: dedup ? dedupKey(spec) : undefined,
      spec,
      state: "waiting",
      startedAt: Date.now(),
      chunks: [],
      bytes: 0,
      truncated: false,
      followers: new Set(),
      attached: 0,
    };
    this.byId.set(job.id, job);
    if (job.key) this.byKey.set(job.key, job);
    return job;
  }

  /** Gives a job created without a dedup key (source state not yet known) its key. */
  setKey(job: Job, key: string): void {
    job.key = key;
    this.byKey.set(key, job);
  }

  /** Forgets a job that never ran (its client followed an identical one instead). */
  discard(job: Job): void {
    if (job.key && this.byKey.get(job.key) === job) this.byKey.delete(job.key);
    this.byId.delete(job.id);
  }

  get(id: string): Job | undefined {
    return this.byId.get(id);
  }

  active(): Job[] {
    return [...this.byId.values()].filter((j) => j.state === "waiting" || j.state === "running");
  }

  output(job: Job, fd: 1 | 2, data: string): void {
    if (!job.truncated) {
      job.bytes += data.length;
      if (job.bytes > MAX_REPLAY_BYTES) {
        job.truncated = true;
        job.chunks = [];
      } else {
        job.chunks.push({ fd, data });
      }
    }
    for (const f of job.followers) f.chunk(fd, data);
  }

  /** Replays the buffer, then streams; a finished job ends the follower at once. */
  subscribe(job: Job, f: Follower): () => void {
    if (job.truncated) {
      f.abandoned("the leader's output was too large to replay");
      return () => {};
    }
    for (const c of job.chunks) f.chunk(c.fd, c.data);
    if (job.state === "done") f.end(job.exitCode ?? 1);
    else if (job.state === "abandoned") f.abandoned(job.endReason ?? "the leader stopped");
    else job.followers.add(f);
    return () => job.followers.delete(f);
  }

  finish(job: Job, exitCode: number): void {
    if (job.state === "done" || job.state === "abandoned") return;
    job.state = "done";
    job.exitCode = exitCode;
    for (const f of job.followers) f.end(exitCode);
    this.retire(job);
  }

  abandon(job: Job, reason: string): void {
    if (job.state === "done" || job.state === "abandoned") return;
    job.state = "abandoned";
    job.endReason = reason;
    for (const f of job.followers) f.abandoned(reason);
    this.retire(job);
  }

  private retire(job: Job): void {
    job.followers.clear();
    if (job.key && this.byKey.get(job.key) === job) this.byKey.delete(job.key);
    this.retired.push({ job, at: Date.now() });
  }

  /** Drops finished jobs older than RETAIN_MS (called by the daemon's periodic sweep). */
  forget(now = Date.now()): void {
    while (this.retired.length > 0 && now - this.retired[0]!.at >= RETAIN_MS) {
      this.byId.delete(this.retired.shift()!.job.id);
    }
  }
}
