// `rch exec` for one command: plan → select → sync → run → return → exit, and fail-open to a
// local run whenever anything before the remote start fails (or the connection drops mid-build).

import { AttachAbandonedError } from "../client/attach.ts";
import { type FullWorker, fullReason, parseNote } from "../protocol/holders.ts";
import type { Attachment, FleetService, JobOutcome, Lease, TimingStore } from "../protocol/selector.ts";
import { signalNumber } from "../ssh/proc.ts";
import { ABORTED, untilAborted } from "./abortable.ts";
import type { Assignment } from "./argv.ts";
import { dryRunLines } from "./dryRun.ts";
import { runLocal } from "./local.ts";
import { type ExecPlan, makePlan } from "./plan.ts";
import { type JobResult, runRemoteJob } from "./remoteJob.ts";
import type { RemoteRun } from "./remoteRun.ts";
import type { ExecReporter } from "./report.ts";

export interface PipelineInput {
  argv: string[];
  assignments: readonly Assignment[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  report: ExecReporter;
  /** Who picks workers and keeps timing history (the daemon client; tests may pass their own).
   * Closed when the pipeline ends. */
  fleet: FleetService;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** rch's own exit code for an internal error after the remote build ran (see README). */
export const INTERNAL_ERROR = 218;

/** Signals before the local fallback: cancel the remote build, stop helpers, exit 128+N. */
class SignalGuard {
  readonly controller = new AbortController();
  received: number | undefined;
  running: RemoteRun | undefined;
  /** The last remote run registered: whether its build started decides what an internal error means. */
  lastRun: RemoteRun | undefined;
  private readonly handler = (sig: NodeJS.Signals) => {
    this.received ??= signalNumber(sig);
    this.controller.abort();
    if (this.running) void this.running.cancel(this.received);
  };

  install(): void {
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  remove(): void {
    for (const s of SIGNALS) process.off(s, this.handler);
  }
}

async function local(
  inp: PipelineInput,
  timings: TimingStore,
  kind: string | undefined,
  root: string | undefined,
) {
  const r = await runLocal(inp.argv, inp.assignments, inp.cwd);
  if (kind && root) await timings.record(root, kind, "local", r.ms);
  return r.exitCode;
}

export async function runPipeline(inp: PipelineInput): Promise<number> {
  try {
    return await pipeline(inp);
  } finally {
    inp.fleet.close();
  }
}

async function pipeline(inp: PipelineInput): Promise<number> {
  const { report } = inp;
  const timings = inp.fleet;
  // Planning touches the state dir (the client id): a read-only sandbox makes that throw, and
  // the build must still run, here.
  const planned = await makePlan({ ...inp, timings }).catch((e: unknown) => ({
    kind: "local" as const,
    fault: true,
    reason: `cannot plan the remote build: ${e instanceof Error ? e.message : String(e)}`,
    plan: undefined,
  }));
  if (planned.kind === "local") {
    if (planned.fault) report.fallback(planned.reason);
    else report.detail(`running locally: ${planned.reason}`);
    return local(inp, timings, planned.plan?.family.kind, planned.plan?.root);
  }
  const plan = planned.plan;
  for (const issue of plan.issues) report.detail(`config: ${issue}`);
  if (plan.switches.dryRun) {
    report.plan(dryRunLines(plan));
    return local(inp, timings, undefined, undefined);
  }
  const guard = new SignalGuard();
  guard.install();
  let result: JobResult;
  let lease: Lease | undefined;
  try {
    result = await remotePart(plan, inp.fleet, guard, report, (l) => {
      lease = l;
    });
  } catch (e) {
    // A bug in rch must not cost the agent its build: before the remote build ran, run it here;
    // after, re-running could repeat its effects, so say so and use rch's own exit code.
    const why = e instanceof Error ? e.message : String(e);
    const ran = guard.lastRun?.started === true;
    result = ran
      ? { kind: "exit", exitCode: INTERNAL_ERROR, remoteMs: 0 }
      : { kind: "fallback", reason: `internal error: ${why}` };
    if (ran) report.warn(`internal error after the remote build started: ${why}`);
  } finally {
    guard.remove();
  }
  if (lease) await lease.release(toOutcome(result, guard.received));
  if (guard.received !== undefined) return 128 + guard.received;
  switch (result.kind) {
    case "exit":
      await timings.record(plan.root, plan.family.kind, "remote", result.remoteMs);
      return result.exitCode;
    case "cancelled":
      return 128 + result.signal;
    case "fallback":
      report.fallback(result.reason);
      return local(inp, timings, plan.family.kind, plan.root);
    case "attach": // remotePart follows attachments itself; never reached
    case "full": // remotePart turns a last full worker into a fallback; never reached
      return local(inp, timings, plan.family.kind, plan.root);
  }
}

/** A build that keeps finding its workers full stops asking after this many tries, whatever
 * its deadline (each try is a daemon answer plus one ssh round trip). */
const MAX_FULL_TRIES = 50;

/**
 * Selection, then the build on the leased worker. The daemon counts other workstations' builds
 * only as well as its last look at the worker: when the worker turns out full after all (another
 * workstation took the slot meanwhile), the lease goes back with what the worker said, and the
 * build asks again — at the head of the daemon's queue — until slot_wait_ms after its first
 * request. Only then does it run locally, with one line naming the full workers and who fills
 * them. Past the deadline it asks once more without waiting: another worker may be free.
 */
async function remotePart(
  plan: ExecPlan,
  fleet: FleetService,
  guard: SignalGuard,
  report: ExecReporter,
  onLease: (l: Lease | undefined) => void,
): Promise<JobResult> {
  const t0 = performance.now();
  const deadline = t0 + plan.config.daemon.slot_wait_ms;
  const full = new Map<string, FullWorker>();
  let pastDeadline = 0;
  for (let tries = 0; ; tries++) {
    const waitMs = tries === 0 ? undefined : Math.max(0, deadline - performance.now());
    const r = await once(plan, fleet, guard, report, t0, waitMs, tries > 0);
    if (r.lease) onLease(r.lease);
    if (r.result.kind !== "full") return r.result;
    const { worker, holders } = r.result;
    // Its session took nothing on the worker: the lease goes back now, with the worker's count.
    await r.lease?.release({ kind: "worker-full", held: holders.length, holders });
    onLease(undefined);
    full.set(worker, fullWorker(worker, r.lease?.worker.total_slots ?? holders.length, holders, plan));
    report.detail(`${worker} is full (${holders.length} slot(s) held): asking for a slot again`);
    if (waitMs === 0) pastDeadline++;
    if (pastDeadline >= 2 || tries + 1 >= MAX_FULL_TRIES) {
      return { kind: "fallback", reason: fullReason([...full.values()]) };
    }
  }
}

function fullWorker(id: string, total: number, holders: string[], plan: ExecPlan): FullWorker {
  const others = holders.map(parseNote).filter((n) => n.client !== plan.identity.id);
  return { id, total, others: others.length, names: [...new Set(others.map((n) => n.name))] };
}

/** One selection and, with a lease, one remote job. */
async function once(
  plan: ExecPlan,
  fleet: FleetService,
  guard: SignalGuard,
  report: ExecReporter,
  t0: number,
  waitMs: number | undefined,
  retry: boolean,
): Promise<{ result: JobResult; lease?: Lease }> {
  const selecting = fleet.select({
    projectRoot: plan.root,
    kind: plan.family.kind,
    argv: [...plan.assignments.map(([k, v]) => `${k}=${v}`), ...plan.argv],
    env: Object.fromEntries([...plan.env.plain, ...plan.env.rooted]),
    // Selection comes before the scan, which overlaps the ssh session set-up: not known yet.
    sourceState: "",
    preferredWorkers: plan.config.general.preferred_workers,
    ...(plan.switches.worker ? { forcedWorker: plan.switches.worker } : {}),
    ...(plan.switches.workers ? { allowedWorkers: plan.switches.workers } : {}),
    ...(plan.switches.tags ? { tags: plan.switches.tags } : {}),
    // cargo's outputs are all in its target dir, which syncs leave alone and cargo locks.
    sharedCopy: plan.family.sharesCopy,
    toolchain: plan.toolchain,
    ...(waitMs !== undefined ? { waitMs } : {}),
    ...(retry ? { retry } : {}),
  });
  // A wait in the daemon's queue ends with a signal; runPipeline then closes the connection,
  // which takes the request (or a lease granted meanwhile) off the daemon's books.
  const selection = await untilAborted(selecting, guard.controller.signal);
  if (selection === ABORTED || guard.received !== undefined) {
    return { result: { kind: "cancelled", signal: guard.received ?? 0 } };
  }
  if (selection.kind === "local") return { result: { kind: "fallback", reason: selection.reason } };
  if (selection.kind === "attach") return { result: await follow(selection.attachment, report, t0) };
  const lease = selection.lease;
  report.detail(`worker: ${lease.worker.id} in ${(performance.now() - t0).toFixed(1)} ms`);
  const result = await runRemoteJob({
    ...(lease.claim ? { claim: (s: string) => lease.claim!(s) } : {}),
    ...(lease.onOutput ? { onOutput: (fd: 1 | 2, c: Uint8Array) => lease.onOutput!(fd, c) } : {}),
    plan,
    worker: lease.worker,
    ...(lease.samePath !== undefined ? { samePath: lease.samePath } : {}),
    ...(lease.pin ? { pin: lease.pin } : {}),
    ...(fleet.tree ? { tree: fleet.tree } : {}),
    report,
    abort: guard.controller.signal,
    onRunning: (run) => {
      guard.running = run;
      if (run) guard.lastRun = run;
      if (run && guard.received !== undefined) void run.cancel(guard.received);
    },
  });
  return {
    result: result.kind === "attach" ? await follow(result.attachment, report, t0) : result,
    lease,
  };
}

/** Single-flight follower: the leader's output and exit code, or a local run if it gives up. */
async function follow(attachment: Attachment, report: ExecReporter, t0: number): Promise<JobResult> {
  report.detail(`identical build in flight (job ${attachment.jobId}): following its output`);
  try {
    const code = await attachment.follow(process.stdout, process.stderr);
    return { kind: "exit", exitCode: code, remoteMs: performance.now() - t0 };
  } catch (e) {
    if (e instanceof AttachAbandonedError) return { kind: "fallback", reason: e.message };
    throw e;
  }
}

/** `signal`: what rch received, which a cancellation that came before the remote start lacks. */
function toOutcome(r: JobResult, signal: number | undefined): JobOutcome {
  switch (r.kind) {
    case "exit": // diskFull: the daemon keeps builds off that worker until it has space again
      return {
        kind: "remote",
        exitCode: r.exitCode,
        remoteMs: r.remoteMs,
        ...(r.diskFull ? { diskFull: true } : {}),
      };
    case "cancelled": // followers must not inherit our 128+N: they build for themselves
      return { kind: "cancelled", signal: signal ?? r.signal };
    case "fallback":
      return { kind: "failed-before-start", reason: r.reason };
    case "attach":
      return { kind: "failed-before-start", reason: "followed an identical job" }; // lease already ended
    case "full": // remotePart released this lease already; never reached
      return { kind: "worker-full", held: r.holders.length, holders: r.holders };
  }
}
