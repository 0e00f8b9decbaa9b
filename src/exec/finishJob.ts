// After the remote build finished: bring artifacts back (whatever its exit code), adopt the new
// tree state when only our artifacts changed it, and settle the exit code.
import type { WorkerConfig } from "../config/schema.ts";
import type { TreeAsk } from "../protocol/selector.ts";
import { ageOutputs, settleAfterPlacement } from "../transfer/afterPlace.ts";
import type { TreeScan } from "../transfer/fingerprint.ts";
import type { RsyncCommon } from "../transfer/rsync.ts";
import { type SyncRecord, writeSyncRecord } from "../transfer/syncstate.ts";
import { askLive, isLive, type LiveState } from "./liveTree.ts";
import type { ExecPlan } from "./plan.ts";
import type { JobResult } from "./remoteJob.ts";
import type { RemoteOutcome } from "./remoteRun.ts";
import type { ExecReporter } from "./report.ts";
import { returnArtifacts } from "./returnArtifacts.ts";
import { seedState } from "./seed.ts";
import { commitSync } from "./syncUp.ts";

/** Exit code of rch itself when the build ran but its artifacts could not be brought back. */
export const ARTIFACTS_FAILED = 219;

export interface FinishInput {
  plan: ExecPlan;
  worker: WorkerConfig;
  outcome: Extract<RemoteOutcome, { kind: "finished" }>;
  record: SyncRecord | undefined;
  key: string;
  remoteDir: string;
  nonce: string;
  rsync: RsyncCommon;
  scan: TreeScan | LiveState;
  report: ExecReporter;
  t0: number;
  /** The build's output said a disk was full (it ran on the worker: the worker's). */
  sawNoSpace: boolean;
  /** rchd's live view: settles a live state after placement without a walk. */
  tree?: TreeAsk;
}

export async function finishJob(f: FinishInput): Promise<JobResult> {
  const { outcome, record, plan } = f;
  // A failed build that said a disk was full failed for lack of space on the worker: say so in
  // one line (the agent would otherwise blame its own project), and tell the daemon.
  const diskFull = outcome.exitCode !== 0 && f.sawNoSpace;
  if (diskFull)
    f.report.warn(`the build failed on ${f.worker.id} because its disk is full (No space left on device)`);
  const exit = (exitCode: number, full = diskFull): JobResult => ({
    kind: "exit",
    exitCode,
    remoteMs: performance.now() - f.t0,
    ...(full ? { diskFull: true } : {}),
  });
  // Without the end marker (the remote shell was killed) there is no report of what to pull.
  if (!outcome.end || !record) return exit(outcome.exitCode);
  // The build ran, but what it made cannot be known: never an exit 0 over the old artifacts.
  if (outcome.end.listFailed) {
    const full = outcome.end.listFailed === "full";
    const why = full
      ? `worker ${f.worker.id} is out of disk space`
      : `the list of the build's new files could not be written on ${f.worker.id}`;
    if (!diskFull) f.report.warn(`artifacts not returned: ${why}`);
    return exit(outcome.exitCode !== 0 ? outcome.exitCode : ARTIFACTS_FAILED, full || diskFull);
  }
  const back = await returnArtifacts({
    rsync: f.rsync,
    root: plan.root,
    remoteDir: f.remoteDir,
    nonce: f.nonce,
    outputDirs: plan.family.outputDirs,
    pullExcludes: plan.family.pullExcludes ?? [],
    fixDirs: plan.family.fixDirs,
    crossDirs: plan.family.crossDirs ?? [],
    end: outcome.end,
    start: outcome.start,
    scan: f.scan,
    previous: record.outputs,
    report: f.report,
  });
  // An executable this machine cannot run: nothing was placed. As with a list that could not be
  // written, a failed build keeps its own code, and a successful one never exits 0.
  if (!back.ok && back.foreign) {
    f.report.warn(`artifacts not returned: ${back.reason}`);
    // The worker's copy now holds files this tree does not: the next build syncs in full.
    const { view: _stale, ...rest } = record; // nor may a live delta since the sync-up skip them
    writeSyncRecord(f.key, { ...rest, fingerprint: "" });
    return exit(outcome.exitCode !== 0 ? outcome.exitCode : ARTIFACTS_FAILED);
  }
  if (!back.ok) {
    f.report.warn(`the build ran on ${f.worker.id} but its artifacts could not be returned: ${back.reason}`);
    return exit(ARTIFACTS_FAILED);
  }
  // In-tree outputs now exist on both sides, and what the build deleted is gone from both: adopt
  // the new tree state if nothing else moved.
  const changedTree = back.placed.length > 0 || back.removed.length > 0;
  if (isLive(f.scan)) {
    const rec = changedTree ? await settleLive(f, record, back.placed, back.removed) : record;
    writeSyncRecord(f.key, { ...rec, outputs: back.outputs, seeds: seedState(plan) });
    return exit(outcome.exitCode);
  }
  const settled = changedTree
    ? settleAfterPlacement(plan.root, plan.keep, f.scan, back.placed, back.removed)
    : undefined;
  if (settled) commitSync(f.key, settled, record.syncId, record);
  const fingerprint = settled ? settled.hash : changedTree ? "" : record.fingerprint;
  writeSyncRecord(f.key, { ...record, fingerprint, outputs: back.outputs, seeds: seedState(plan) });
  return exit(outcome.exitCode);
}

/** settleAfterPlacement for a live state: the view says what changed since the sync-up state;
 * when that is exactly our placements and removals, the copy (which has them) equals the tree
 * now. Otherwise the outputs are aged, and the record keeps the sync-up state with no
 * fingerprint: the next build sends everything changed since, placed outputs included. */
async function settleLive(
  f: FinishInput,
  record: SyncRecord,
  placed: readonly string[],
  removed: readonly string[],
): Promise<SyncRecord> {
  const scan = f.scan as LiveState;
  const before = { ...record, view: scan.live.token };
  const now = f.tree ? await askLive(f.tree, f.plan.root, f.plan.rules, f.plan.keep, before) : undefined;
  const d = now?.live.delta;
  const ours = new Set([...placed, ...removed]);
  const clean =
    d?.changed.every(
      ([p, size]) => ours.has(p) || (size === -1 && [...ours].some((o) => o.startsWith(`${p}/`))),
    ) && d.removed.every((p) => ours.has(p));
  if (clean && now) return { ...record, fingerprint: now.hash, view: now.live.token };
  ageOutputs(f.plan.root, placed, scan.startedAt);
  return { ...before, fingerprint: "" };
}
