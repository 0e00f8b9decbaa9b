// Persistent daemon state in SQLite (bun:sqlite) under the XDG state dir: what must survive a
// restart — speed scores, drained workers, project affinity, timing history — plus the job history
// and counters in history.ts. Every table is bounded; nothing grows with uptime.
import { Database } from "bun:sqlite";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export interface SpeedRecord {
  workerId: string;
  speed: number;
  compileMs: number;
  cpuMs: number;
  measuredAt: number;
}

export interface TimingStats {
  localMs?: number;
  remoteMs?: number;
}

/** Weight of the newest sample in the timing average: recent builds matter most. */
const TIMING_ALPHA = 0.3;
const MAX_PROJECT_ROWS = 10_000;

const schema = `
create table if not exists speeds (worker text primary key, speed real not null, compile_ms real not null,
  cpu_ms real not null, measured_at integer not null);
create table if not exists drained (worker text primary key, since integer not null);
create table if not exists affinity (project text primary key, worker text not null, updated_at integer not null);
create table if not exists timings (project text not null, kind text not null, place text not null,
  ms real not null, samples integer not null, updated_at integer not null, primary key (project, kind, place));
create table if not exists jobs (seq integer primary key autoincrement, job_id text not null, project text not null,
  kind text not null, command text not null, worker text, started_at integer not null, duration_ms real,
  state text not null, exit_code integer, followers integer not null, reason text);
create table if not exists counters (name text primary key, value real not null);
create index if not exists affinity_age on affinity (updated_at);
create index if not exists timings_age on timings (updated_at);
`;

/** Writes are batched into transactions: a release costs one queue push instead of half a dozen
 * commits on the selection path (at most FLUSH_MS of history is lost if the daemon is killed). */
const FLUSH_MS = 20;
/** Writes per transaction when flushing in the background. Between slices the event loop serves
 * sockets, so a burst of history never stalls selection for more than a slice (~0.2 ms). */
const SLICE = 48;

export class Store {
  readonly db: Database;
  /** Queued writes in order; a keyed write replaces the queued one with the same key (only the
   * latest affinity or timing average of a project matters), so bursts coalesce. */
  private pending = new Map<string | number, () => void>();
  private nextAnon = 0;
  private readonly finishers: (() => void)[] = [];
  /** Timing averages read or written so far: selection and release never wait on SQLite. */
  private readonly timings = new Map<string, { localMs?: number; remoteMs?: number }>();
  private readonly unsavedSamples = new Map<string, number>();
  private flushTimer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;

  private constructor(
    db: Database,
    readonly path: string,
  ) {
    this.db = db;
    db.run("pragma journal_mode = wal");
    db.run("pragma synchronous = normal");
    db.run("pragma busy_timeout = 2000");
    db.exec(schema);
  }

  /** Opens (creating) the database; on failure an in-memory one keeps the daemon serving. */
  static open(path: string, onError: (msg: string) => void): Store {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const db = new Database(path, { create: true, strict: true });
      chmodSync(path, 0o600);
      return new Store(db, path);
    } catch (e) {
      onError(`cannot open ${path} (${(e as Error).message}); history is kept in memory until restart`);
      return new Store(new Database(":memory:", { strict: true }), ":memory:");
    }
  }

  /** Queues a write for the next batch; with a key, it supersedes a queued write of that key. */
  write(fn: () => void, key?: string): void {
    if (key !== undefined) this.pending.delete(key); // re-queued at the end: keeps write order
    this.pending.set(key ?? this.nextAnon++, fn);
    this.flushTimer ??= setTimeout(() => this.flushSlice(), FLUSH_MS);
  }

  /** Runs at the end of every batch, inside its transaction (pruning). */
  afterEachBatch(fn: () => void): void {
    this.finishers.push(fn);
  }

  /** Commits all queued writes now (before reads that must see them, and at shutdown). */
  flush(): void {
    this.cancelTimer();
    this.commit(this.pending.size);
  }

  /** Background flushing: one slice per event-loop turn until the queue is empty. */
  private flushSlice(): void {
    this.flushTimer = undefined;
    this.commit(SLICE);
    if (this.pending.size > 0) this.flushTimer = setImmediate(() => this.flushSlice());
  }

  private commit(count: number): void {
    if (this.pending.size === 0) return;
    const batch: (() => void)[] = [];
    for (const [key, fn] of this.pending) {
      if (batch.length === count) break;
      batch.push(fn);
      this.pending.delete(key);
    }
    this.db.transaction(() => {
      for (const fn of batch) fn();
      for (const fn of this.finishers) fn();
    })();
  }

  private cancelTimer(): void {
    clearTimeout(this.flushTimer as ReturnType<typeof setTimeout>);
    clearImmediate(this.flushTimer as ReturnType<typeof setImmediate>);
    this.flushTimer = undefined;
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  speeds(): SpeedRecord[] {
    return this.db
      .query(
        "select worker as workerId, speed, compile_ms as compileMs, cpu_ms as cpuMs, measured_at as measuredAt from speeds",
      )
      .all() as SpeedRecord[];
  }

  setSpeed(r: SpeedRecord): void {
    this.flush();
    this.db
      .query(
        "insert or replace into speeds (worker, speed, compile_ms, cpu_ms, measured_at) values ($w, $s, $c, $p, $t)",
      )
      .run({ w: r.workerId, s: r.speed, c: r.compileMs, p: r.cpuMs, t: r.measuredAt });
  }

  drained(): string[] {
    return (this.db.query("select worker from drained").all() as { worker: string }[]).map((r) => r.worker);
  }

  setDrained(workerId: string, drained: boolean): void {
    if (drained)
      this.db
        .query("insert or replace into drained (worker, since) values ($w, $t)")
        .run({ w: workerId, t: Date.now() });
    else this.db.query("delete from drained where worker = $w").run({ w: workerId });
  }

  affinity(): Map<string, string> {
    const rows = this.db.query("select project, worker from affinity").all() as {
      project: string;
      worker: string;
    }[];
    return new Map(rows.map((r) => [r.project, r.worker]));
  }

  setAffinity(project: string, workerId: string): void {
    const t = Date.now();
    this.write(() => {
      this.db
        .query("insert or replace into affinity (project, worker, updated_at) values ($p, $w, $t)")
        .run({ p: project, w: workerId, t });
      this.prune("affinity");
    }, `affinity\0${project}`);
  }

  timing(project: string, kind: string): TimingStats {
    const key = `${project}\0${kind}`;
    let t = this.timings.get(key);
    if (!t) {
      const rows = this.db
        .query("select place, ms from timings where project = $p and kind = $k")
        .all({ p: project, k: kind }) as { place: string; ms: number }[];
      t = {};
      for (const r of rows) {
        if (r.place === "local") t.localMs = r.ms;
        if (r.place === "remote") t.remoteMs = r.ms;
      }
      if (this.timings.size >= MAX_PROJECT_ROWS) this.timings.clear(); // a cache, not the record
      this.timings.set(key, t);
    }
    const out: TimingStats = {};
    if (t.localMs !== undefined) out.localMs = Math.round(t.localMs);
    if (t.remoteMs !== undefined) out.remoteMs = Math.round(t.remoteMs);
    return out;
  }

  recordTiming(project: string, kind: string, place: "local" | "remote", ms: number): void {
    this.timing(project, kind); // load what the table holds, so the average continues from it
    const t = this.timings.get(`${project}\0${kind}`)!;
    const field = place === "local" ? "localMs" : "remoteMs";
    const prev = t[field];
    t[field] = prev === undefined ? ms : prev * (1 - TIMING_ALPHA) + ms * TIMING_ALPHA;
    const avg = t[field];
    const at = Date.now();
    const key = `timing\0${project}\0${kind}\0${place}`;
    // Samples folded into this write, counting those of queued writes it supersedes.
    const n = (this.unsavedSamples.get(key) ?? 0) + 1;
    this.unsavedSamples.set(key, n);
    this.write(() => {
      this.unsavedSamples.delete(key);
      this.db
        .query(
          `insert into timings (project, kind, place, ms, samples, updated_at) values ($p, $k, $w, $ms, $n, $t)
           on conflict (project, kind, place) do update set
             ms = excluded.ms, samples = samples + excluded.samples, updated_at = excluded.updated_at`,
        )
        .run({ p: project, k: kind, w: place, ms: avg, n, t: at });
      this.prune("timings");
    }, key);
  }

  /** Keeps the per-project tables at MAX_PROJECT_ROWS by dropping the least recently updated. */
  private prune(table: "affinity" | "timings"): void {
    if (Math.random() > 0.02) return; // amortised: counting on every write would cost more than it saves
    this.db.run(
      `delete from ${table} where rowid in (select rowid from ${table} order by updated_at desc limit -1 offset ${MAX_PROJECT_ROWS})`,
    );
  }
}
