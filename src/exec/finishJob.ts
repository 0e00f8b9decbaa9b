// After the remote build finished: bring artifacts back (whatever its exit code), adopt the new
// tree state when only our artifacts changed it, and settle the exit code.
import type { WorkerConfig } from "../config/schema.ts";
import { settleAfterPlacement } from "../transfer/afterPlace.ts";
import type { TreeScan } from "../transfer/fingerprint.ts";
import type { RsyncCommon } from "../transfer/rsync.ts";
import { type SyncRecord, writeSyncRecord } from "../transfer/syncstate.ts";
import type { ExecPlan } from "./plan.ts";
import type { JobResult } from "./remoteJob.ts";
import type { RemoteOutcome } from "./remoteRun.ts";
import type { ExecReporter } from "./report.ts";
import { returnArtifacts } from "./returnArtifacts.ts";
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
  scan: TreeScan;
  report: ExecReporter;
  t0: number;
}

export async function finishJob(f: FinishInput): Promise<JobResult> {
  const { outcome, record, plan } = f;
  const exit = (exitCode: number): JobResult => ({
    kind: "exit",
    exitCode,
    remoteMs: performance.now() - f.t0,
  });
  // Without the end marker (the remote shell was killed) there is no report of what to pull.
  if (!outcome.end || !record) return exit(outcome.exitCode);
  const back = await returnArtifacts({
    rsync: f.rsync,
    root: plan.root,
    remoteDir: f.remoteDir,
    nonce: f.nonce,
    outputDirs: plan.family.outputDirs,
    pullExcludes: plan.family.pullExcludes ?? [],
    end: outcome.end,
    start: outcome.start,
    scan: f.scan,
    previous: record.outputs,
    report: f.report,
  });
  if (!back.ok) {
    f.report.warn(`the build ran on ${f.worker.id} but its artifacts could not be returned: ${back.reason}`);
    return exit(ARTIFACTS_FAILED);
  }
  // In-tree outputs now exist on both sides: adopt the new tree state if nothing else moved.
  const settled = back.placed.length
    ? settleAfterPlacement(plan.root, plan.keep, f.scan, back.placed)
    : undefined;
  if (settled) commitSync(f.key, settled, record.syncId, record);
  const fingerprint = settled ? settled.hash : back.placed.length ? "" : record.fingerprint;
  writeSyncRecord(f.key, { ...record, fingerprint, outputs: back.outputs });
  return exit(outcome.exitCode);
}
