// Job history and the counters behind `rch status --stats`, in the daemon's SQLite store.
// Bounded by daemon.history_max_jobs: the oldest rows are pruned as new ones arrive.
import type { JobInfo, Stats } from "../protocol/status.ts";
import type { Store } from "./store.ts";

export type Counter =
  | "total_jobs"
  | "remote_jobs"
  | "local_jobs"
  | "failed_jobs"
  | "abandoned_jobs"
  | "dedup_hits"
  | "local_selections"
  | "offloaded_ms"
  | "time_saved_ms";

export class History {
  private prunePending = false;
  /** Counter totals, authoritative in memory; SQLite gets the changed ones with each batch. */
  private readonly counters = new Map<string, number>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly store: Store,
    public maxJobs: number,
  ) {
    // After each batch's inserts, in the same transaction: committed history never exceeds the cap.
    store.afterEachBatch(() => this.pruneIfDue());
    const rows = store.db.query("select name, value from counters").all() as {
      name: string;
      value: number;
    }[];
    for (const r of rows) this.counters.set(r.name, r.value);
    if (!this.counters.has("since")) {
      this.counters.set("since", Date.now());
      this.markDirty("since");
    }
  }

  bump(name: Counter, by = 1): void {
    if (by === 0) return;
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    this.markDirty(name);
  }

  private markDirty(name: string): void {
    if (this.dirty.size === 0) this.store.write(() => this.persistCounters());
    this.dirty.add(name);
  }

  private persistCounters(): void {
    const upsert = this.store.db.query("insert or replace into counters (name, value) values ($n, $v)");
    for (const name of this.dirty) upsert.run({ n: name, v: this.counters.get(name) ?? 0 });
    this.dirty.clear();
  }

  stats(): Stats {
    const n = (k: string) => Math.round(this.counters.get(k) ?? 0);
    return {
      since: n("since"),
      totalJobs: n("total_jobs"),
      remoteJobs: n("remote_jobs"),
      localJobs: n("local_jobs"),
      failedJobs: n("failed_jobs"),
      abandonedJobs: n("abandoned_jobs"),
      dedupHits: n("dedup_hits"),
      localSelections: n("local_selections"),
      offloadedMs: n("offloaded_ms"),
      timeSavedMs: n("time_saved_ms"),
    };
  }

  record(job: JobInfo): void {
    this.store.write(() => this.insert(job));
  }

  private insert(job: JobInfo): void {
    this.store.db
      .query(
        `insert into jobs (job_id, project, kind, command, worker, started_at, duration_ms, state, exit_code, followers, reason)
         values ($id, $p, $k, $c, $w, $s, $d, $st, $e, $f, $r)`,
      )
      .run({
        id: job.jobId,
        p: job.project,
        k: job.kind,
        c: job.command.slice(0, 2000),
        w: job.worker ?? null,
        s: job.startedAt,
        d: job.durationMs ?? null,
        st: job.state,
        e: job.exitCode ?? null,
        f: job.followers,
        r: job.reason?.slice(0, 500) ?? null,
      });
    this.prunePending = true;
  }

  /** Run by the store after each batch (see constructor). */
  pruneIfDue(): void {
    if (!this.prunePending) return;
    this.prunePending = false;
    this.prune();
  }

  prune(): void {
    this.store.db
      .query("delete from jobs where seq <= (select max(seq) from jobs) - $max")
      .run({ max: this.maxJobs });
  }

  recent(limit: number): JobInfo[] {
    this.store.flush();
    const rows = this.store.db
      .query(
        `select job_id, project, kind, command, worker, started_at, duration_ms, state, exit_code, followers, reason
         from jobs order by seq desc limit $n`,
      )
      .all({ n: limit }) as Record<string, unknown>[];
    return rows.map((r) => {
      const info: JobInfo = {
        jobId: String(r.job_id),
        project: String(r.project),
        kind: String(r.kind),
        command: String(r.command),
        startedAt: Number(r.started_at),
        state: r.state as JobInfo["state"],
        followers: Number(r.followers),
      };
      if (r.worker != null) info.worker = String(r.worker);
      if (r.duration_ms != null) info.durationMs = Math.round(Number(r.duration_ms));
      if (r.exit_code != null) info.exitCode = Number(r.exit_code);
      if (r.reason != null) info.reason = String(r.reason);
      return info;
    });
  }

  count(): number {
    this.store.flush();
    return (this.store.db.query("select count(*) as n from jobs").get() as { n: number }).n;
  }
}
