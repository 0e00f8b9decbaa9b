// The `status` reply: what `rch status` prints and what `--format json` emits. Kept in one schema
// so the JSON a user scripts against is exactly what the daemon promises to send.
import * as v from "valibot";

const optNum = v.optional(v.number());

export const circuitState = v.picklist(["closed", "open", "half-open"]);
export const healthState = v.picklist(["unknown", "ok", "failing"]);

/** A build holding one of a worker's slots, from the note it left there (src/worker/run.sh). */
export const slotHolder = v.object({
  client: v.string(),
  name: v.string(),
  project: v.optional(v.string()),
  since: optNum,
});

export const workerStatus = v.object({
  id: v.string(),
  host: v.string(),
  port: v.number(),
  user: v.optional(v.string()),
  totalSlots: v.number(),
  usedSlots: v.number(),
  priority: v.number(),
  tags: v.array(v.string()),
  enabled: v.boolean(),
  drained: v.boolean(),
  health: healthState,
  circuit: circuitState,
  consecutiveFailures: v.number(),
  latencyMs: optNum,
  lastHeartbeatAt: optNum,
  lastError: v.optional(v.string()),
  speed: optNum,
  speedMeasuredAt: optNum,
  /** Slots held by other workstations' builds (0 when not known lately). */
  slotsExternal: optNum,
  /** Those builds, from their notes on the worker. */
  holders: v.optional(v.array(slotHolder)),
  /** false: the worker has no flock(1), so its slots are not shared (undefined: not known yet). */
  sharing: v.optional(v.boolean()),
  /** workers.toml max_share: this workstation never holds more of its slots. */
  maxShare: optNum,
});

export const jobInfo = v.object({
  jobId: v.string(),
  project: v.string(),
  kind: v.string(),
  command: v.string(),
  worker: v.optional(v.string()),
  startedAt: v.number(),
  /** Active jobs: waiting for a slot, or running on a worker. Recent: how they ended. */
  state: v.picklist(["waiting", "running", "remote", "local", "failed", "abandoned"]),
  exitCode: v.optional(v.number()),
  durationMs: optNum,
  followers: v.number(),
  /** Why it ran locally or was abandoned. */
  reason: v.optional(v.string()),
});

export const stats = v.object({
  since: v.number(),
  totalJobs: v.number(),
  remoteJobs: v.number(),
  localJobs: v.number(),
  failedJobs: v.number(),
  abandonedJobs: v.number(),
  dedupHits: v.number(),
  localSelections: v.number(),
  /** Sum of remote build durations: time the local machine did not spend building. */
  offloadedMs: v.number(),
  /** Dedup followers × leader duration + remote jobs faster than their local history. */
  timeSavedMs: v.number(),
});

export const statusSnapshot = v.object({
  daemon: v.object({
    version: v.string(),
    protocol: v.number(),
    pid: v.number(),
    startedAt: v.number(),
    socket: v.string(),
    configFiles: v.array(v.string()),
    configIssues: v.array(v.string()),
    heartbeatIntervalS: v.number(),
    metricsPort: v.number(),
  }),
  workers: v.array(workerStatus),
  jobs: v.object({ active: v.array(jobInfo), recent: v.array(jobInfo) }),
  queue: v.number(),
  stats,
});

export type WorkerStatus = v.InferOutput<typeof workerStatus>;
export type SlotHolder = v.InferOutput<typeof slotHolder>;
export type JobInfo = v.InferOutput<typeof jobInfo>;
export type Stats = v.InferOutput<typeof stats>;
export type StatusSnapshot = v.InferOutput<typeof statusSnapshot>;
export type CircuitState = v.InferOutput<typeof circuitState>;
export type HealthState = v.InferOutput<typeof healthState>;
