// Steps 4–6 on one worker: start the remote script (it waits for its sync header), scan the
// local tree meanwhile, bring the copy up to date (nothing / inline tar / rsync), run, bring
// artifacts back. Returns what happened; the caller decides between exiting and running locally.
import { randomHex } from "../config/identity.ts";
import type { WorkerConfig } from "../config/schema.ts";
import type { Attachment, Claim, TreeAsk } from "../protocol/selector.ts";
import { type SshTarget, sshTarget } from "../ssh/options.ts";
import { scanTree, type TreeScan } from "../transfer/fingerprint.ts";
import type { RsyncCommon } from "../transfer/rsync.ts";
import { readSyncRecord, type SyncRecord, syncKey, writeSyncRecord } from "../transfer/syncstate.ts";
import { notStartedReason, resyncMayHelp } from "../worker/exits.ts";
import { ABORTED, untilAborted } from "./abortable.ts";
import { bunHash } from "./bunHash.ts";
import { finishJob } from "./finishJob.ts";
import { askLive, isLive, type LiveState } from "./liveTree.ts";
import { cargoPathOutsideRoot } from "./outside.ts";
import type { ExecPlan } from "./plan.ts";
import { scriptArgsFor } from "./planArgs.ts";
import { remoteProjectDir } from "./remoteDir.ts";
import { type RemoteOutcome, RemoteRun } from "./remoteRun.ts";
import type { ExecReporter } from "./report.ts";
import { syncHeader } from "./script.ts";
import { seedWorker } from "./seed.ts";
import { commitSync, planSync, type SyncPlan } from "./syncUp.ts";

export type JobResult =
  /** diskFull: the worker ran out of space (the build failed for it, or its outputs could not be
   * listed); its daemon skips it until it has space again. */
  | { kind: "exit"; exitCode: number; remoteMs: number; diskFull?: boolean }
  /** An identical job (same source state) is already running: follow it instead. */
  | { kind: "attach"; attachment: Attachment }
  | { kind: "fallback"; reason: string }
  /** Every slot of the worker was held (other workstations' builds): nothing ran, nothing was
   * touched; the caller may ask its daemon for a slot again. `holders`: one note per held slot;
   * `reason`: the line to give if it runs locally now. */
  | { kind: "full"; worker: string; holders: string[]; reason: string }
  | { kind: "cancelled"; signal: number };

export interface JobContext {
  plan: ExecPlan;
  worker: WorkerConfig;
  /** The worker can run builds at the project's own path, by its last heartbeat (absent:
   * unknown). */
  samePath?: boolean;
  report: ExecReporter;
  /** Aborted when rch gets a signal: stops rsync. */
  abort?: AbortSignal;
  /** Registers the running remote build so a signal can cancel it. */
  onRunning(run: RemoteRun | undefined): void;
  /** Single-flight: once the tree is scanned, lead (once the worker's copy is free), follow an
   * identical job, or give up to a local run (Lease.claim). */
  claim?(sourceState: string): Promise<Claim>;
  /** Copies of the output for attached followers (Lease.onOutput). */
  onOutput?(fd: 1 | 2, chunk: Uint8Array): void;
  /** The worker's toolchain pin for this build (Lease.pin). */
  pin?: readonly (readonly [string, string])[];
  /** rchd's live view of the tree (FleetService.tree): what changed, without a walk. */
  tree?: TreeAsk;
}

export async function runRemoteJob(ctx: JobContext): Promise<JobResult> {
  const { plan, worker, report } = ctx;
  const t0 = performance.now();
  const target: SshTarget = sshTarget(worker, plan.config.ssh);
  const remoteDir = remoteProjectDir(worker.remote_root, plan.root, plan.identity.id);
  const key = syncKey(worker.id, worker.host, worker.user, worker.port, remoteDir);
  const rsync: RsyncCommon = {
    target,
    compressionLevel: plan.config.transfer.compression_level,
    timeoutMs: plan.config.exec.artifact_timeout_s * 1000,
    ...(ctx.abort ? { signal: ctx.abort } : {}),
  };
  const bun = plan.family.bunDir ? bunHash(plan.family.bunDir) : undefined;
  let samePath = choosePathMode(ctx);
  const startRun = (): { run: RemoteRun; nonce: string } => {
    const nonce = randomHex(4);
    const run = new RemoteRun({
      target,
      nonce,
      localRoot: plan.root,
      maxHoldMs: plan.config.output.max_latency_ms,
      ...(ctx.onOutput ? { onOutput: ctx.onOutput } : {}),
      args: scriptArgsFor(plan, {
        nonce,
        remoteDir,
        bunHash: bun ?? "",
        worker,
        samePath,
        ...(ctx.pin ? { pin: ctx.pin } : {}),
      }),
    });
    ctx.onRunning(run);
    run.begin();
    return { run, nonce };
  };

  let current = startRun();
  /** The session started before the scan is not wanted: it exits without touching the copy. */
  const dropRun = async (): Promise<void> => {
    current.run.send(syncHeader("abort"));
    await current.run.finish();
  };
  const t1 = performance.now();
  let record: SyncRecord | undefined = readSyncRecord(key);
  const live = ctx.tree ? await askLive(ctx.tree, plan.root, plan.rules, plan.keep, record) : undefined;
  const scan: TreeScan | LiveState = live ?? scanTree(plan.root, plan.keep);
  const took = (performance.now() - t1).toFixed(1);
  report.detail(
    live
      ? `scan: ${scan.files} files, rchd's live view (${live.live.delta?.changed.length ?? 0} changed, ${live.live.delta?.removed.length ?? 0} removed) in ${took} ms`
      : `scan: ${scan.files} files in ${took} ms`,
  );
  if (ctx.abort?.aborted) {
    await current.run.finish(); // the signal handler has cut its lifeline
    return { kind: "cancelled", signal: 0 };
  }
  const outside = cargoPathOutsideRoot(plan.root, scan.cargoFiles);
  if (outside) {
    await dropRun();
    return { kind: "fallback", reason: `a cargo path reaches outside the project (${outside})` };
  }
  // Waiting for the worker's copy of the project ends with a signal, too.
  const claim = ctx.claim ? await untilAborted(ctx.claim(scan.hash), ctx.abort) : ({ kind: "lead" } as Claim);
  if (claim === ABORTED) {
    await dropRun();
    return { kind: "cancelled", signal: 0 };
  }
  if (claim.kind !== "lead") {
    await dropRun();
    return claim.kind === "follow"
      ? { kind: "attach", attachment: claim.attachment }
      : { kind: "fallback", reason: claim.reason };
  }
  for (let full = false; ; ) {
    const sync = await planSync({
      key,
      record,
      scan,
      root: plan.root,
      remoteDir,
      rules: plan.rules,
      rsync,
      full,
      locked: () => current.run.locked(),
    });
    if (sync.kind === "failed") {
      await dropRun();
      return { kind: "fallback", reason: `sync to ${worker.id} failed: ${sync.reason}` };
    }
    const { run, nonce } = current;
    if (sync.kind === "unlocked") {
      const ended = await run.finish();
      ctx.onRunning(undefined);
      return ended.kind === "not-started" ? notStarted(ended, worker.id, plan.argv[0]!) : unexpected(ended);
    }
    report.detail(describeSync(sync, scan.files, worker.id));
    // Before the header: the build must not start until the worker has what was sent.
    if (samePath) {
      await seedWorker({ plan, worker, remoteDir, rsync, seeds: record?.seeds, report });
      if (ctx.abort?.aborted) {
        await run.finish(); // the signal handler has cut its lifeline
        return { kind: "cancelled", signal: 0 };
      }
    }
    run.send(
      syncHeader({
        check: sync.kind === "pushed" ? "" : sync.check,
        stamp: sync.kind === "current" ? "" : sync.stamp,
        remove: sync.kind === "inline" ? sync.remove : [],
        tarBytes: sync.kind === "inline" ? sync.tar.length : 0,
        overlay: plan.family.trackInTree && scan.files >= plan.config.exec.overlay_min_files,
      }),
    );
    if (sync.kind === "inline") run.send(sync.tar);
    const outcome = await run.finish();
    ctx.onRunning(undefined);
    // A same-path set-up failure comes after the update and the stamp: the copy is current.
    const nsFailed = outcome.kind === "not-started" && outcome.why === "same-path-failed";
    if (sync.kind === "inline" && (run.started || nsFailed))
      record = commitSync(key, scan, sync.stamp, record);
    else if (sync.kind === "pushed") {
      record = { ...record, fingerprint: scan.hash, syncId: sync.stamp };
      if (isLive(scan)) record.view = scan.live.token;
      else delete record.view;
    } else if (sync.kind === "current" && isLive(scan) && record && record.view !== scan.live.token) {
      // The same tree under a newer view state (or first seen by the view): later asks start here.
      record = { ...record, view: scan.live.token };
      writeSyncRecord(key, record);
    }
    switch (outcome.kind) {
      case "cancelled":
        return outcome;
      case "lost":
        return {
          kind: "fallback",
          reason: `connection to ${worker.id} lost during the build (${outcome.detail})`,
        };
      case "not-started":
        if (nsFailed && samePath) {
          // Nothing ran: the same build again at the copy's path, on a copy that is current. A
          // worker its heartbeat said could is a fault worth a line; a guess is only detail.
          const ctxWhy = { worker: worker.id, tool: plan.argv[0]!, detail: outcome.detail };
          if (ctx.samePath === true) report.warn(notStartedReason(outcome.why, ctxWhy));
          else report.detail(`path: ${notStartedReason(outcome.why, ctxWhy)}`);
          samePath = false;
          current = startRun();
          continue;
        }
        if (resyncMayHelp(outcome.why) && !full) {
          report.detail(`sync: the copy on ${worker.id} is not the one last synced; syncing in full`);
          full = true;
          current = startRun(); // its session starts while rsync runs
          continue;
        }
        return notStarted(outcome, worker.id, plan.argv[0]!);
      case "finished":
        report.detail(`remote: ${plan.argv[0]} exited ${outcome.exitCode} on ${worker.id}`);
        try {
          // The session still holds the copy's lock: nobody syncs over the outputs meanwhile.
          return await finishJob({
            ...{ plan, worker, outcome, record, key, remoteDir, nonce, rsync, scan, report, t0 },
            sawNoSpace: run.sawNoSpace,
            ...(ctx.tree ? { tree: ctx.tree } : {}),
          });
        } finally {
          await run.close();
        }
    }
  }
}

/** Same-path mode unless the worker's last heartbeat said it cannot, or workers.toml says
 * "mapped"; mapped mode is said once in verbose output. Before the first heartbeat (a daemon
 * just started) same-path is tried: switching a copy between modes costs a rebuild (ninja's log
 * holds command lines, which name one path or the other), and a worker that cannot answers
 * before anything runs (exit 210), costing one more round trip, once. */
function choosePathMode(ctx: JobContext): boolean {
  const { worker, report } = ctx;
  if (worker.path_mode === "mapped") {
    report.detail(`path: mapped on ${worker.id} (path_mode = "mapped"): the build runs at the copy's path`);
    return false;
  }
  if (ctx.samePath !== false) return true;
  report.detail(
    `path: mapped on ${worker.id} (it allows no user + mount namespaces): the build runs at the copy's path`,
  );
  return false;
}

function notStarted(
  o: Extract<RemoteOutcome, { kind: "not-started" }>,
  worker: string,
  tool: string,
): JobResult {
  const reason = notStartedReason(o.why, { worker, tool, detail: o.detail });
  if (o.why === "worker-full") return { kind: "full", worker, holders: o.holders ?? [], reason };
  return { kind: "fallback", reason };
}

/** A session that ended before locking can only have ended before the build started. */
function unexpected(o: RemoteOutcome): JobResult {
  return o.kind === "cancelled"
    ? o
    : { kind: "fallback", reason: `the remote session ended early (${o.kind})` };
}

function describeSync(
  sync: Exclude<SyncPlan, { kind: "failed" | "unlocked" }>,
  files: number,
  worker: string,
): string {
  switch (sync.kind) {
    case "current":
      return `sync: skipped, tree unchanged (${files} files)`;
    case "inline":
      return `sync: ${sync.files} changed and ${sync.remove.length} removed path(s) sent inline (${sync.tar.length} bytes of tar)`;
    case "pushed":
      return `sync: rsync to ${worker} in ${Math.round(sync.ms)} ms`;
  }
}
