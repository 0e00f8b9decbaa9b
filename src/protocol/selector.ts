// The seam between `rch exec` and whoever picks workers: the daemon client in this folder
// implements it, and the exec pipeline only ever sees these types.
import type * as v from "valibot";
import type { WorkerConfig } from "../config/schema.ts";
import type { jobOutcome, jobSpec } from "./requests.ts";
import type { TreeResponse, timingResponse } from "./responses.ts";

/** Coarse command kind for timing history and dedup: the family plus its subcommand. */
export type CommandKind = string; // e.g. "cargo build", "cargo test", "make", "bun test"

/**
 * What `rch exec` asks for: the wire's job spec (requests.ts documents each field). `tags`
 * defaults to RCH_TAGS; `sourceState` is "" when the caller selects before scanning its tree
 * (rch exec does: its scan overlaps the ssh session set-up) and claims later.
 */
export type SelectRequest = Omit<v.InferInput<typeof jobSpec>, "kind" | "preferredWorkers"> & {
  kind: CommandKind;
  preferredWorkers: string[];
  /** How long the daemon may keep it waiting for a slot (default: its slot_wait_ms). */
  waitMs?: number;
  /** The same build asking again after its worker turned out full (see the wire's `retry`). */
  retry?: boolean;
};

/** How a leased job ended, as the daemon records it (the wire's `release` outcome). */
export type JobOutcome = v.InferOutput<typeof jobOutcome>;

export interface Lease {
  worker: WorkerConfig;
  /** Whether the worker already holds a copy of this project (affinity); informational. */
  warm: boolean;
  /** The worker can run builds at the project's own path, by its last heartbeat (absent:
   * unknown). workers.toml's path_mode may still say "mapped". */
  samePath?: boolean;
  /** Environment pinning the build to the matched toolchain on that worker (daemon's pinEnv). */
  pin?: readonly (readonly [string, string])[];
  /**
   * Copies of the build's output as it streams, for agents attached to this job (single-flight).
   * Absent when nobody can attach (local selector).
   */
  onOutput?(fd: 1 | 2, chunk: Uint8Array): void;
  /**
   * Called once the local tree is scanned, when the selection was made with `sourceState: ""`:
   * `follow` when an identical job (same source state) is already in flight, `local` when the
   * worker's copy of the project stayed busy with another build — in both the slot is given
   * back and `release` becomes a no-op — or `lead` (possibly after waiting for the copy).
   * Absent when nobody can attach (local selector).
   */
  claim?(sourceState: string): Promise<Claim>;
  /**
   * Call exactly once, after artifacts are back in place: releases the slot, records the
   * outcome, and lets attached followers exit with the same code. Never throws.
   */
  release(outcome: JobOutcome): Promise<void>;
}

export type Claim =
  | { kind: "lead" }
  | { kind: "follow"; attachment: Attachment }
  | { kind: "local"; reason: string };

/** A job identical to one in flight: read its output instead of building again (single-flight). */
export interface Attachment {
  jobId: string;
  /** Writes the leader's stdout/stderr to ours from the start; resolves with its exit code. */
  follow(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number>;
}

export type Selection =
  | { kind: "worker"; lease: Lease }
  | { kind: "attach"; attachment: Attachment }
  | { kind: "local"; reason: string };

export interface WorkerSelector {
  select(req: SelectRequest): Promise<Selection>;
}

/** Timing history per project and command kind (rch exec's timing gate). */
export type TimingStats = Omit<v.InferOutput<typeof timingResponse>, "type" | "id">;

export interface TimingStore {
  get(projectRoot: string, kind: CommandKind): Promise<TimingStats>;
  record(projectRoot: string, kind: CommandKind, where: "local" | "remote", ms: number): Promise<void>;
}

/** The fleet as `rch exec` sees it: selection plus timing history; close() lets the process exit. */
/** What changed in a project tree, from rchd's live view (the `tree` message); undefined on any
 * error or when rchd has no view: the client walks the tree itself. */
export type TreeAsk = (ask: {
  root: string;
  rules: { include: boolean; pattern: string }[];
  since?: { epoch: string; gen: number };
  max: number;
}) => Promise<TreeAnswer | undefined>;
export type TreeAnswer = Extract<TreeResponse, { state: "ready" }>;

export type FleetService = WorkerSelector & TimingStore & { close(): void; tree?: TreeAsk };
