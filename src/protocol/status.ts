// The `status` reply: what `rch status` prints and what `--format json` emits. Kept in one schema
// so the JSON a user scripts against is exactly what the daemon promises to send.

import * as v from "valibot";
import { workerToolchains } from "./toolchains.ts";

const optNum = v.optional(v.number());

export const circuitState = v.picklist(["closed", "open", "half-open"]);
export const healthState = v.picklist(["unknown", "ok", "failing"]);

/** One GC (or census) the daemon ran on a worker. */
export const gcRecord = v.object({
  at: v.number(),
  mode: v.picklist(["plan", "census", "run"]),
  /** What started it: short of space, a build's ENOSPC, over budget, the daily GC, the census. */
  trigger: v.picklist(["short", "disk-full", "budget", "daily", "census"]),
  ms: v.number(),
  ok: v.boolean(),
  error: v.optional(v.string()),
  freedKb: optNum,
  availAfterKb: optNum,
  /** The goals (free space, budget) were reached. */
  met: v.optional(v.boolean()),
});

/** A worker's disk as the daemon knows it (kB: 1024 bytes). */
export const workerDisk = v.object({
  minFreeKb: v.number(),
  /** 0: no budget. */
  maxDiskKb: v.number(),
  /** From the last heartbeat (or GC) and when: absent before the first. */
  availKb: optNum,
  totalKb: optNum,
  at: optNum,
  /** min_free_gb plus the GC's headroom (at most a tenth of the disk): below it GC has work. */
  goalFreeKb: v.number(),
  flock: v.optional(v.boolean()),
  /** A build failed with ENOSPC there and no heartbeat has shown space since. */
  full: v.optional(v.boolean()),
  /** Admission refuses the worker builds, and why (for a project whose copy is there). */
  refused: v.optional(v.string()),
  /** The last census: rch's usage under remote_root, copies, the oldest one's last use. */
  census: v.optional(
    v.object({ at: v.number(), usageKb: v.number(), copies: v.number(), oldestUse: optNum }),
  ),
  lastGc: v.optional(gcRecord),
  gcRunning: v.optional(
    v.object({ mode: gcRecord.entries.mode, trigger: gcRecord.entries.trigger, since: v.number() }),
  ),
});

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
  disk: v.optional(workerDisk),
  /** Its toolchain identities, once probed (src/protocol/toolchains.ts). */
  toolchains: v.optional(workerToolchains),
  /** Slots held by other workstations' builds (0 when not known lately). */
  slotsExternal: optNum,
  /** Those builds, from their notes on the worker. */
  holders: v.optional(v.array(slotHolder)),
  /** false: the worker has no flock(1), so its slots are not shared (undefined: not known yet). */
  sharing: v.optional(v.boolean()),
  /** workers.toml max_share: this workstation never holds more of its slots. */
  maxShare: optNum,
  /** Builds can run at the project's own path there, by the last heartbeat (undefined: not
   * known yet). */
  samePath: v.optional(v.boolean()),
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
export type WorkerDisk = v.InferOutput<typeof workerDisk>;
export type GcRecordStatus = v.InferOutput<typeof gcRecord>;
export type SlotHolder = v.InferOutput<typeof slotHolder>;
export type JobInfo = v.InferOutput<typeof jobInfo>;
export type Stats = v.InferOutput<typeof stats>;
export type StatusSnapshot = v.InferOutput<typeof statusSnapshot>;
export type CircuitState = v.InferOutput<typeof circuitState>;
export type HealthState = v.InferOutput<typeof healthState>;
