// Client → daemon messages. One valibot schema per message; the daemon validates every line at
// the boundary, so a handler only ever sees a well-formed value of its own type.
// Wire format: one JSON object per line (NDJSON) over the unix socket. Every request carries a
// numeric `id` chosen by the client; replies (and streamed pushes) echo it.
import * as v from "valibot";
import { toolchainNeed } from "./toolchains.ts";

/** Bumped on any incompatible change; checked by the `hello` every connection starts with. */
export const PROTOCOL_VERSION = 1;

const id = v.pipe(v.number(), v.integer(), v.minValue(0));
const text = v.pipe(v.string(), v.maxLength(4096));
const nonEmpty = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const ms = v.pipe(v.number(), v.minValue(0), v.maxValue(86_400_000 * 7));
const workerId = v.pipe(v.string(), v.minLength(1), v.maxLength(256));

export const helloRequest = v.object({
  type: v.literal("hello"),
  id,
  protocol: v.pipe(v.number(), v.integer()),
  client: text,
  pid: v.pipe(v.number(), v.integer()),
});

/** What identifies a job (dedup) and what selection needs to know about it. */
export const jobSpec = v.object({
  projectRoot: nonEmpty,
  kind: text,
  argv: v.pipe(v.array(v.pipe(v.string(), v.maxLength(1 << 20))), v.minLength(1), v.maxLength(100_000)),
  env: v.record(v.string(), v.string()),
  sourceState: text,
  preferredWorkers: v.optional(v.array(workerId), []),
  /** RCH_WORKER: this worker only. */
  forcedWorker: v.optional(workerId),
  /** RCH_WORKERS: only these workers. */
  allowedWorkers: v.optional(v.array(workerId)),
  /** RCH_TAGS: a worker must carry every one of these tags. */
  tags: v.optional(v.array(workerId), []),
  /** The build's outputs live only where syncs never touch (cargo's target dir): it may share
   * the worker's copy of the project with other such builds. */
  sharedCopy: v.optional(v.boolean(), false),
  /** The toolchain identity the build needs: only a worker with exactly it may take the build. */
  toolchain: v.optional(toolchainNeed),
});

export const selectRequest = v.object({
  type: v.literal("select"),
  id,
  job: jobSpec,
  /** How long to wait in the FIFO queue for a free slot; default: daemon.slot_wait_ms. */
  waitMs: v.optional(ms),
  /** false: never attach to an identical job, never let others attach to this one. */
  dedup: v.optional(v.boolean(), true),
  /** The same build asking again after its worker turned out full (other workstations hold
   * every slot): it goes to the head of the queue and is not counted as a new request. */
  retry: v.optional(v.boolean(), false),
});

/**
 * The second half of a select sent before the source state was known (`sourceState: ""`): the
 * client scanned its tree meanwhile, and now the daemon decides whether this job leads or follows
 * an identical one. Dedup must compare synced source, never just the command line.
 */
export const claimRequest = v.object({
  type: v.literal("claim"),
  id,
  leaseId: nonEmpty,
  sourceState: nonEmpty,
  /** How long to wait for the worker's copy of the project if another build is using it;
   * default: daemon.slot_wait_ms. */
  waitMs: v.optional(ms),
});

export const renewRequest = v.object({ type: v.literal("renew"), id, leaseId: nonEmpty });

export const jobOutcome = v.variant("kind", [
  v.object({
    kind: v.literal("remote"),
    exitCode: v.pipe(v.number(), v.integer()),
    remoteMs: ms,
    /** The build failed because the worker's disk was full (ENOSPC there): the daemon gives the
     * worker no builds until a heartbeat shows space again, and starts a GC on it. */
    diskFull: v.optional(v.boolean()),
  }),
  v.object({
    kind: v.literal("local"),
    exitCode: v.pipe(v.number(), v.integer()),
    localMs: ms,
    reason: text,
  }),
  v.object({ kind: v.literal("failed-before-start"), reason: text }),
  /** rch got a signal (Ctrl-C, SIGTERM, timeout) and stopped the build: no result to share. */
  v.object({ kind: v.literal("cancelled"), signal: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  /** The worker had no free slot (run.sh exited worker-full): `held` slots were held, each by
   * the build whose note is in `holders`. Not a failure of the worker; the client asks again. */
  v.object({
    kind: v.literal("worker-full"),
    held: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)),
    holders: v.pipe(v.array(text), v.maxLength(1024)),
  }),
]);

export const releaseRequest = v.object({
  type: v.literal("release"),
  id,
  leaseId: nonEmpty,
  outcome: jobOutcome,
});

/** A chunk of the leader's output for fan-out. Fire-and-forget: answered only when it fails. */
export const outputRequest = v.object({
  type: v.literal("output"),
  id,
  leaseId: nonEmpty,
  fd: v.picklist([1, 2]),
  /** base64: build output is bytes, not necessarily UTF-8. */
  data: v.pipe(v.string(), v.maxLength(8 << 20)),
});

/** Stream the output of job `jobId` from its start, then its exit code. */
export const followRequest = v.object({ type: v.literal("follow"), id, jobId: nonEmpty });

export const timingGetRequest = v.object({
  type: v.literal("timing.get"),
  id,
  projectRoot: nonEmpty,
  kind: text,
});

export const timingRecordRequest = v.object({
  type: v.literal("timing.record"),
  id,
  projectRoot: nonEmpty,
  kind: text,
  where: v.picklist(["local", "remote"]),
  ms,
});

export const statusRequest = v.object({
  type: v.literal("status"),
  id,
  recent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000)), 20),
});

export const drainRequest = v.object({ type: v.literal("drain"), id, workerId });
export const enableRequest = v.object({ type: v.literal("enable"), id, workerId });
export const reloadRequest = v.object({ type: v.literal("reload"), id });
export const shutdownRequest = v.object({ type: v.literal("shutdown"), id });
/** A newer rch met this daemon: hand the socket over now, finish serving the open connections. */
export const retireRequest = v.object({ type: v.literal("retire"), id, reason: text });
export const benchmarkRequest = v.object({
  type: v.literal("benchmark"),
  id,
  /** Empty: every configured worker. */
  workerIds: v.optional(v.array(workerId), []),
});

/** Someone (`rch workers gc`) changed these workers' disks: re-read them now (a heartbeat and a
 * census) instead of at the next scheduled ones. */
export const diskRefreshRequest = v.object({
  type: v.literal("disk.refresh"),
  id,
  workerIds: v.pipe(v.array(workerId), v.maxLength(1000)),
});

/** What changed in a project tree: rchd answers from its live view (src/daemon/treeviews.ts), so
 * a build need not walk the tree. `since`: the view state the client's copy was last synced
 * from; the answer names what changed after it, never the whole tree. */
export const treeRequest = v.object({
  type: v.literal("tree"),
  id,
  root: nonEmpty,
  rules: v.pipe(
    v.array(v.object({ include: v.boolean(), pattern: v.pipe(v.string(), v.maxLength(4096)) })),
    v.maxLength(10_000),
  ),
  since: v.optional(v.object({ epoch: text, gen: v.pipe(v.number(), v.integer(), v.minValue(0)) })),
  /** More changed paths than this: no delta (the client syncs in full anyway). */
  max: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)),
});

/** Every request schema by its `type`. The daemon looks the schema up by type before validating:
 * checking one object schema allocates a third of what trying the whole variant does, and
 * allocation is what sets the daemon's garbage-collection pauses under load. */
export const requestSchemas = {
  hello: helloRequest,
  select: selectRequest,
  claim: claimRequest,
  renew: renewRequest,
  release: releaseRequest,
  output: outputRequest,
  follow: followRequest,
  "timing.get": timingGetRequest,
  "timing.record": timingRecordRequest,
  status: statusRequest,
  drain: drainRequest,
  enable: enableRequest,
  reload: reloadRequest,
  shutdown: shutdownRequest,
  retire: retireRequest,
  benchmark: benchmarkRequest,
  "disk.refresh": diskRefreshRequest,
  tree: treeRequest,
} as const;

export const request = v.variant("type", Object.values(requestSchemas));

export type Request = v.InferOutput<typeof request>;
export type RequestType = Request["type"];
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;
export type JobSpec = v.InferOutput<typeof jobSpec>;
export type JobOutcomeMsg = v.InferOutput<typeof jobOutcome>;
/** What a client writes: defaults applied by the schema may be left out. */
export type RequestInput = v.InferInput<typeof request>;
