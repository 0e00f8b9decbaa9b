// RCH_DRY_RUN: what a remote run would do, without connecting anywhere. The worker shown is the
// first candidate in selection order (which one answers is only known by trying); with no
// eligible worker it says local, with the reason the daemon would give.
import { relative } from "node:path";
import { shJoin } from "../shell/quote.ts";
import { sshArgv, sshTarget } from "../ssh/options.ts";
import { pushArgv } from "../transfer/rsync.ts";
import { orderCandidates } from "./candidates.ts";
import type { ExecPlan } from "./plan.ts";
import { scriptArgsFor } from "./planArgs.ts";
import { remoteProjectDir } from "./remoteDir.ts";

export function dryRunLines(plan: ExecPlan): string[] {
  const order = orderCandidates(plan.workers, {
    preferredWorkers: plan.config.general.preferred_workers,
    ...(plan.switches.worker ? { forcedWorker: plan.switches.worker } : {}),
    ...(plan.switches.workers ? { allowedWorkers: plan.switches.workers } : {}),
    ...(plan.switches.tags ? { tags: plan.switches.tags } : {}),
  });
  if (!order.ok) return [`dry run: would run locally: ${order.reason}`];
  const worker = order.workers[0]!;
  const target = sshTarget(worker, plan.config.ssh);
  const remoteDir = remoteProjectDir(worker.remote_root, plan.root, plan.identity.id);
  const rsync = pushArgv(
    { target, compressionLevel: plan.config.transfer.compression_level, timeoutMs: 0 },
    plan.root,
    remoteDir,
    plan.rules,
  );
  // Same-path mode depends on the worker's last heartbeat, which only the daemon knows.
  const args = scriptArgsFor(plan, { nonce: "00000000", remoteDir, bunHash: "", worker, samePath: false });
  return [
    `dry run: ${plan.family.kind} in ${plan.root} (cwd ${plan.relCwd})`,
    `worker: ${worker.id} (candidates: ${order.workers.map((w) => w.id).join(", ")})`,
    `remote dir: ${remoteDir}`,
    `sync: ${shJoin(rsync)}`,
    // The program itself is constant (src/worker/run.sh); the data travels as its arguments,
    // the sync decision as a header on its stdin.
    `run: ${shJoin(sshArgv(target))} sh -c <script> rch ${shJoin(args)}`,
    `artifacts: ${[...plan.family.outputDirs.map((d) => relative(plan.root, d) || "."), ...(plan.family.trackInTree ? ["files the build creates or changes"] : [])].join(", ") || "none"}`,
    "dry run: running locally instead",
  ];
}
