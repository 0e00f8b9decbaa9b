// Daemon → client messages. Each reply echoes the request's `id` (null only when the request was
// too broken to have one). The client validates every reply with the schema of the type it
// expects, so a daemon of another version can never hand it a half-understood value.
import * as v from "valibot";
import { workerSchema } from "../config/schema.ts";
import { statusSnapshot } from "./status.ts";

const id = v.pipe(v.number(), v.integer(), v.minValue(0));

export const errorCodes = [
  "bad_json",
  "bad_request",
  "too_long",
  "hello_required",
  "protocol_mismatch",
  "unknown_lease",
  "unknown_job",
  "unknown_worker",
  "shutting_down",
  "internal",
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const errorResponse = v.object({
  type: v.literal("error"),
  id: v.nullable(id),
  code: v.picklist(errorCodes),
  message: v.string(),
});

export const helloResponse = v.object({
  type: v.literal("hello"),
  id,
  protocol: v.number(),
  /** The daemon's build identity (protocol/build.ts); builtAt is absent from daemons older than
   * the upgrade check, which then count as outdated. */
  version: v.string(),
  builtAt: v.optional(v.number()),
  pid: v.number(),
  startedAt: v.number(),
});

/** A slot on `worker`, held until released or until `ttlMs` passes without a renew. */
export const leaseResponse = v.object({
  type: v.literal("lease"),
  id,
  leaseId: v.string(),
  jobId: v.string(),
  worker: workerSchema,
  warm: v.boolean(),
  /** The worker's last heartbeat found it can run builds at the project's own path (absent:
   * unknown, or a daemon older than same-path mode). */
  samePath: v.optional(v.boolean()),
  /** Environment that pins the build to the worker's toolchain matching the request's
   * (RUSTUP_TOOLCHAIN or PATH, RUSTUP_AUTO_INSTALL=0; src/protocol/toolchains.ts). */
  pin: v.optional(v.array(v.tuple([v.string(), v.string()]))),
  ttlMs: v.number(),
  expiresAt: v.number(),
  waitedMs: v.number(),
});

/** An identical job is in flight: `follow` it instead of building. */
export const attachResponse = v.object({ type: v.literal("attach"), id, jobId: v.string() });

export const localResponse = v.object({ type: v.literal("local"), id, reason: v.string() });

/** claim: this job leads (others may follow it); `attach` or `local` (its worker's copy of the
 * project stayed busy): the lease is gone. */
export const claimedResponse = v.object({ type: v.literal("claimed"), id });
export const claimResponse = v.variant("type", [claimedResponse, attachResponse, localResponse]);

export const renewedResponse = v.object({ type: v.literal("renewed"), id, expiresAt: v.number() });

export const okResponse = v.object({ type: v.literal("ok"), id, message: v.optional(v.string()) });

export const timingResponse = v.object({
  type: v.literal("timing"),
  id,
  localMs: v.optional(v.number()),
  remoteMs: v.optional(v.number()),
});

/** The answer to `tree`. `changed`: [path, size, mtimeMs, mode, ino, created (0|1)] (a dir: size
 * −1); absent `delta`: the `since` state is unknown or too much changed. */
export const treeResponse = v.variant("state", [
  v.object({ type: v.literal("tree"), id, state: v.literal("unavailable"), why: v.string() }),
  v.object({
    type: v.literal("tree"),
    id,
    state: v.literal("ready"),
    hash: v.string(),
    epoch: v.string(),
    gen: v.number(),
    files: v.number(),
    cargoFiles: v.array(v.string()),
    delta: v.optional(
      v.object({
        changed: v.array(v.tuple([v.string(), v.number(), v.number(), v.number(), v.number(), v.number()])),
        removed: v.array(v.string()),
      }),
    ),
  }),
]);

export const statusResponse = v.object({ type: v.literal("status"), id, status: statusSnapshot });

export const reloadedResponse = v.object({
  type: v.literal("reloaded"),
  id,
  workers: v.number(),
  issues: v.array(v.string()),
});

export const benchmarkResult = v.object({
  workerId: v.string(),
  ok: v.boolean(),
  speed: v.optional(v.number()),
  compileMs: v.optional(v.number()),
  cpuMs: v.optional(v.number()),
  error: v.optional(v.string()),
});

export const benchmarkResponse = v.object({
  type: v.literal("benchmark"),
  id,
  results: v.array(benchmarkResult),
});

// Pushed on a `follow` stream, all with the follow request's id.
export const chunkPush = v.object({ type: v.literal("chunk"), id, fd: v.picklist([1, 2]), data: v.string() });
export const endPush = v.object({ type: v.literal("end"), id, exitCode: v.number() });
/** The leader will never report an exit code (died, fell back locally): run the job yourself. */
export const abandonedPush = v.object({ type: v.literal("abandoned"), id, reason: v.string() });
/** Keep-alive while a silent build runs, so a follower can tell a quiet leader from a hung daemon. */
export const waitPush = v.object({ type: v.literal("wait"), id });

export const selectResponse = v.variant("type", [leaseResponse, attachResponse, localResponse]);
export const followPush = v.variant("type", [chunkPush, endPush, abandonedPush, waitPush]);

export const anyResponse = v.object({ type: v.string(), id: v.nullable(id) });

export type ErrorResponse = v.InferOutput<typeof errorResponse>;
export type HelloResponse = v.InferOutput<typeof helloResponse>;
export type LeaseResponse = v.InferOutput<typeof leaseResponse>;
export type SelectResponse = v.InferOutput<typeof selectResponse>;
export type FollowPush = v.InferOutput<typeof followPush>;
export type TimingResponse = v.InferOutput<typeof timingResponse>;
export type TreeResponse = v.InferOutput<typeof treeResponse>;
export type StatusResponse = v.InferOutput<typeof statusResponse>;
export type ReloadedResponse = v.InferOutput<typeof reloadedResponse>;
export type BenchmarkResult = v.InferOutput<typeof benchmarkResult>;
export type BenchmarkResponse = v.InferOutput<typeof benchmarkResponse>;
export type OkResponse = v.InferOutput<typeof okResponse>;
export type RenewedResponse = v.InferOutput<typeof renewedResponse>;

/** Any daemon → client message (for the daemon's writer; clients validate by expected schema). */
export type Response =
  | ErrorResponse
  | HelloResponse
  | SelectResponse
  | v.InferOutput<typeof renewedResponse>
  | v.InferOutput<typeof claimedResponse>
  | OkResponse
  | TimingResponse
  | TreeResponse
  | StatusResponse
  | ReloadedResponse
  | BenchmarkResponse
  | FollowPush;
