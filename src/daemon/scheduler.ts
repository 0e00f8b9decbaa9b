// The daemon's core: turns a `select` into a lease, an attachment or "local"; ends leases
// (release, client gone, expiry) and everything that hangs off them (followers, history, the
// wait queue). Handlers are thin adapters around these methods.
import type { WorkerConfig } from "../config/schema.ts";
import type { Runtime } from "../protocol/eligible.ts";
import type { JobOutcomeMsg, JobSpec } from "../protocol/requests.ts";
import type { JobInfo } from "../protocol/status.ts";
import { pinEnv } from "../protocol/toolchains.ts";
import { busyReason } from "./busyReason.ts";
import { Copies, type CopyClaim, type CopyMode } from "./copies.ts";
import type { Fleet } from "./fleet.ts";
import type { History } from "./history.ts";
import { describe, describeOutcome, jobInfo } from "./jobinfo.ts";
import { dedupKey, type Job, Jobs } from "./jobs.ts";
import type { LeaseRecord, Leases } from "./leases.ts";
import type { Logger } from "./log.ts";
import { pickWithCopies } from "./select.ts";
import { applyFull } from "./share.ts";
import type { Store } from "./store.ts";
import { WaitQueue } from "./waitq.ts";

/** Outputs only in a directory the sync leaves alone (cargo): the copy may be shared. */
const copyMode = (spec: JobSpec): CopyMode => (spec.sharedCopy ? "shared" : "exclusive");

export type ClaimResult =
  | { kind: "lead" }
  | { kind: "attach"; jobId: string }
  | { kind: "local"; reason: string };

export type SelectResult =
  | {
      kind: "lease";
      lease: LeaseRecord;
      worker: WorkerConfig;
      warm: boolean;
      waitedMs: number;
      /** The build's toolchain pin on that worker (pinEnv). */
      pin?: [string, string][];
    }
  | { kind: "attach"; jobId: string }
  | { kind: "local"; reason: string };

export interface SchedulerDeps {
  fleet: Fleet;
  leases: Leases;
  store: Store;
  history: History;
  log: Logger;
  /** A job failed before its command started on this worker: check its health now. */
  suspect(workerId: string): void;
  /** What selection knows beyond the fleet's state (disk facts); none: the rule without it. */
  runtime?(spec: JobSpec): Runtime | undefined;
  /** A build on this worker failed for lack of disk space there (ENOSPC). */
  diskFull?(workerId: string): void;
  /** This installation's client id (its builds' notes on shared workers carry it). */
  clientId: string;
  /** A request started waiting in the queue (the slot counts then run faster: slotwatch.ts). */
  onWaiting?(): void;
}

export class Scheduler {
  readonly jobs = new Jobs();
  readonly queue = new WaitQueue();
  readonly copies = new Copies();
  private readonly affinity: Map<string, string>;
  private readonly waiting = new Map<number, Set<() => void>>();

  constructor(private readonly d: SchedulerDeps) {
    this.affinity = d.store.affinity();
  }

  /** The worker this project's last successful remote build ran on (its copy is warm there). */
  warmWorker(projectRoot: string): string | undefined {
    return this.affinity.get(projectRoot);
  }

  /** Answers at once when it can (a plain value: no promise on the hot path), else a promise
   * that settles when a slot frees up or the wait ends. */
  select(
    spec: JobSpec,
    waitMs: number,
    connId: number,
    dedup: boolean,
    retry = false,
  ): SelectResult | Promise<SelectResult> {
    // A retry is the same build asking again after its worker turned out full: not a new request.
    if (!retry) this.d.history.bump("total_jobs");
    // Without a source state the job can only be matched later, by claim().
    if (dedup && spec.sourceState !== "") {
      const leader = this.jobs.followable(dedupKey(spec));
      if (leader) {
        leader.attached++;
        this.d.history.bump("dedup_hits");
        this.d.log.info(`dedup: ${describe(spec)} follows job ${leader.id}`);
        return { kind: "attach", jobId: leader.id };
      }
    }
    const job = this.jobs.create(spec, dedup && spec.sourceState !== "");
    const enqueued = Date.now();
    let immediate: SelectResult | undefined;
    let settle: ((r: SelectResult) => void) | undefined;
    const finish = (r: SelectResult) => {
      if (settle) settle(r);
      else immediate = r;
    };
    const local = (reason: string) => {
      this.runsLocally(job, undefined, reason);
      finish({ kind: "local", reason });
    };
    const place = (): boolean => {
      const root = spec.projectRoot;
      const mode = copyMode(spec);
      // A job whose source state is known leads from here, so it takes its copy now; one that
      // will claim later only prefers a free copy (it may yet follow the build in it).
      const leadsNow = spec.sourceState !== "";
      const pick = pickWithCopies(
        this.d.fleet,
        this.copies,
        spec,
        this.affinity.get(root),
        leadsNow,
        mode,
        this.d.runtime?.(spec),
      );
      if (pick.kind === "busy") return false;
      if (pick.kind === "none") {
        local(pick.reason);
        return true;
      }
      const lease = this.d.leases.grant(pick.state, job.id, root, connId);
      if (pick.state.share.grants > 0) pick.state.share.grants--; // contention mode: one per count
      this.copies.use(root, lease.workerId);
      if (leadsNow) this.copies.take(root, lease.workerId, lease.id, mode); // available: see `copies`
      job.state = "running";
      job.leaseId = lease.id;
      job.workerId = lease.workerId;
      const waitedMs = Date.now() - enqueued;
      if (this.d.log.enabled("debug")) {
        const extra = `${pick.warm ? ", warm" : ""}${waitedMs > 0 ? `, waited ${waitedMs} ms` : ""}`;
        this.d.log.debug(
          `lease ${lease.id}: ${describe(spec)} → ${lease.workerId} (score ${pick.score.toFixed(1)}${extra})`,
        );
      }
      const tc = pick.state.toolchains;
      const pin = spec.toolchain && tc ? pinEnv(tc, spec.toolchain) : [];
      finish({
        kind: "lease",
        lease,
        worker: pick.state.config,
        warm: pick.warm,
        waitedMs,
        ...(pin.length ? { pin } : {}),
      });
      return true;
    };
    if (place()) return immediate!;
    if (waitMs <= 0) {
      local(busyReason(this.d.fleet.list(), spec, undefined, Date.now()));
      return immediate!;
    }
    return new Promise<SelectResult>((resolve) => {
      settle = resolve;
      const cancels = this.waiting.get(connId) ?? new Set();
      this.waiting.set(connId, cancels);
      const cancel = this.queue.add(
        {
          tryPlace: () => {
            const done = place();
            if (done) cancels.delete(cancel);
            return done;
          },
          onTimeout: () => {
            cancels.delete(cancel);
            local(busyReason(this.d.fleet.list(), spec, waitMs, Date.now()));
          },
        },
        waitMs,
        retry, // it lost a race for a slot it was offered: it keeps its turn
      );
      this.d.onWaiting?.();
      cancels.add(() => {
        cancel();
        this.jobs.abandon(job, "the leader went away while waiting for a slot");
      });
    });
  }

  /**
   * The leased job's source state is now known: it follows an identical job in flight (giving
   * its slot back), or leads — once its worker's copy of the project is free of other builds,
   * waiting up to waitMs for it, else it runs locally. undefined: no such lease.
   */
  claim(
    leaseId: string,
    sourceState: string,
    waitMs: number,
  ): ClaimResult | Promise<ClaimResult> | undefined {
    const lease = this.d.leases.get(leaseId);
    const job = lease && this.jobs.get(lease.jobId);
    if (!lease || !job) return undefined;
    job.spec = { ...job.spec, sourceState };
    const key = dedupKey(job.spec);
    const leader = this.jobs.followable(key);
    if (leader && leader !== job) {
      this.endLease(leaseId);
      this.jobs.discard(job);
      leader.attached++;
      this.d.history.bump("dedup_hits");
      this.d.log.info(`dedup: ${describe(job.spec)} follows job ${leader.id} (after its scan)`);
      this.queue.serve();
      return { kind: "attach", jobId: leader.id };
    }
    // Followable while it waits for its copy: an identical newcomer follows it rather than
    // queueing for the same copy.
    if (!job.key) this.jobs.setKey(job, key);
    const settle = (c: CopyClaim): ClaimResult => {
      if (c.kind === "held") {
        if (job.state === "waiting") job.state = "running";
        return { kind: "lead" };
      }
      const reason = `the copy of this project on ${lease.workerId} stayed busy with another build for ${waitMs} ms`;
      if (c.kind === "timeout" && this.endLease(leaseId)) {
        this.runsLocally(job, lease, reason);
        this.queue.serve();
      }
      return { kind: "local", reason };
    };
    const got = this.copies.acquire(lease.projectRoot, lease.workerId, leaseId, copyMode(job.spec), waitMs);
    if (got instanceof Promise) {
      job.state = "waiting"; // `rch status --jobs` shows it waiting, not building
      this.d.log.debug(`lease ${leaseId}: waiting for the copy of ${lease.projectRoot} on ${lease.workerId}`);
      return got.then(settle);
    }
    return settle(got);
  }

  /** The daemon sent this job's client to build locally: its followers do the same. */
  private runsLocally(job: Job, lease: LeaseRecord | undefined, reason: string): void {
    this.jobs.abandon(job, `the leader runs locally: ${reason}`);
    this.d.history.bump("local_selections");
    this.d.history.bump("local_jobs");
    this.d.history.record({ ...jobInfo(job, lease, undefined), state: "local", reason });
    this.d.log.info(`local: ${describe(job.spec)}: ${reason}`);
  }

  /** Ends a lease and everything it held: its slot and its copy. */
  private endLease(leaseId: string): LeaseRecord | undefined {
    const lease = this.d.leases.end(leaseId);
    if (lease) this.copies.release(lease.projectRoot, lease.workerId, lease.id);
    return lease;
  }

  renew(leaseId: string): LeaseRecord | undefined {
    return this.d.leases.renew(leaseId);
  }

  output(leaseId: string, fd: 1 | 2, data: string): boolean {
    const lease = this.d.leases.get(leaseId);
    const job = lease && this.jobs.get(lease.jobId);
    if (!job) return false;
    this.jobs.output(job, fd, data);
    return true;
  }

  release(leaseId: string, outcome: JobOutcomeMsg): boolean {
    const lease = this.endLease(leaseId);
    if (!lease) return false;
    const job = this.jobs.get(lease.jobId);
    const h = this.d.history;
    const spec = job?.spec;
    if (outcome.kind === "remote") {
      h.bump("remote_jobs");
      h.bump("offloaded_ms", outcome.remoteMs);
      if (spec) {
        const localMs = this.d.store.timing(spec.projectRoot, spec.kind).localMs;
        const followersSaved = (job?.attached ?? 0) * outcome.remoteMs;
        h.bump("time_saved_ms", followersSaved + Math.max(0, (localMs ?? 0) - outcome.remoteMs));
        this.d.store.recordTiming(spec.projectRoot, spec.kind, "remote", outcome.remoteMs);
        this.affinity.set(spec.projectRoot, lease.workerId);
        this.d.store.setAffinity(spec.projectRoot, lease.workerId);
      }
      if (job) this.jobs.finish(job, outcome.exitCode);
      if (outcome.diskFull) this.d.diskFull?.(lease.workerId);
    } else if (outcome.kind === "cancelled") {
      // No result: nothing for the timing history, and followers build for themselves.
      h.bump("abandoned_jobs");
      if (job) this.jobs.abandon(job, `the leader was cancelled (signal ${outcome.signal})`);
    } else if (outcome.kind === "worker-full") {
      // Other workstations hold every slot: the worker is fine (no failure, no health check),
      // and what its answer says is the freshest count there is. The client asks again.
      const st = this.d.fleet.get(lease.workerId);
      if (st) applyFull(st, outcome.held, outcome.holders, this.d.clientId, Date.now());
      if (job) this.jobs.abandon(job, `${lease.workerId} was full`);
    } else {
      h.bump("local_jobs");
      if (outcome.kind === "failed-before-start") {
        h.bump("failed_jobs");
        this.d.suspect(lease.workerId);
      } else if (spec) {
        this.d.store.recordTiming(spec.projectRoot, spec.kind, "local", outcome.localMs);
      }
      if (job) this.jobs.abandon(job, `the leader ran locally: ${outcome.reason}`);
    }
    if (this.d.log.enabled("info")) {
      const where = spec ? `${describe(spec)} on ${lease.workerId}` : lease.workerId;
      this.d.log.info(
        `job ${lease.jobId}: ${where}: ${describeOutcome(outcome)}${job?.attached ? ` (+${job.attached} followers)` : ""}`,
      );
    }
    // A full worker's attempt is not a job of its own: the retry that follows is.
    if (job && outcome.kind !== "worker-full") h.record(jobInfo(job, lease, outcome));
    this.queue.serve();
    return true;
  }

  /** The client of these leases and waiters is gone (closed socket: exited, crashed, killed). */
  connectionClosed(connId: number): void {
    for (const cancel of this.waiting.get(connId) ?? []) cancel();
    this.waiting.delete(connId);
    for (const lease of this.d.leases.ofConnection(connId)) this.abandon(lease, "client disconnected");
  }

  /** Ends leases whose client stopped renewing. */
  sweep(now = Date.now()): void {
    for (const lease of this.d.leases.expired(now)) this.abandon(lease, "lease expired (no renewal)");
    this.jobs.forget(now);
  }

  private abandon(lease: LeaseRecord, why: string): void {
    if (!this.endLease(lease.id)) return;
    this.d.history.bump("abandoned_jobs");
    const job = this.jobs.get(lease.jobId);
    this.d.log.warn(`lease ${lease.id} on ${lease.workerId} ended: ${why}`);
    if (job) {
      this.jobs.abandon(job, why);
      this.d.history.record({ ...jobInfo(job, lease, undefined), reason: why });
    }
    this.queue.serve();
  }

  activeJobs(): JobInfo[] {
    return this.jobs.active().map((j) => jobInfo(j, j.leaseId ? this.d.leases.get(j.leaseId) : undefined));
  }
}
