// The remote script's arguments for a plan: shared by the real run and the dry run, so the
// plan a dry run prints is exactly what would be sent.
import { relative } from "node:path";
import type { ExecPlan } from "./plan.ts";
import { buildArgs } from "./script.ts";

export function scriptArgsFor(
  plan: ExecPlan,
  run: { nonce: string; remoteDir: string; bunHash: string },
): string[] {
  const rel = (d: string) => relative(plan.root, d);
  return buildArgs({
    nonce: run.nonce,
    remoteDir: run.remoteDir,
    relCwd: plan.relCwd,
    bunDir: plan.family.bunDir ? rel(plan.family.bunDir) || "." : "",
    bunHash: run.bunHash,
    trackInTree: plan.family.trackInTree,
    outputDirs: plan.family.outputDirs.map(rel),
    fixDirs: plan.family.fixDirs.map((d) => rel(d) || "."),
    localRoot: plan.root,
    env: plan.env,
    argv: plan.argv,
  });
}
