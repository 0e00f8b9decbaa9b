// Step 6: bring the build's outputs back, whatever its exit code (failed tests still leave
// binaries). Output dirs (cargo's target…) are pulled straight into place, but only when the
// worker says they changed or the local copy is no longer what we left there; in-tree outputs
// (make, gcc…) come through a staging dir and are moved in one by one under the safety rules of
// transfer/artifacts.ts.
import { existsSync, realpathSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { listStaged, placeStaged, removeStage } from "../transfer/artifacts.ts";
import { scanTree, type TreeScan } from "../transfer/fingerprint.ts";
import { isInsideDir } from "../transfer/inside.ts";
import { pullDirArgv, pullListArgv, type RsyncCommon, runRsync } from "../transfer/rsync.ts";
import { rerootTextFile } from "../transfer/textFix.ts";
import type { EndInfo, StartInfo } from "./markers.ts";
import type { ExecReporter } from "./report.ts";

export type ReturnResult =
  | { ok: true; outputs: Record<string, string>; placed: string[] }
  | { ok: false; reason: string };

export interface ReturnInput {
  rsync: RsyncCommon;
  root: string;
  remoteDir: string;
  nonce: string;
  /** Absolute local output dirs, in the order the script reported them. */
  outputDirs: string[];
  /** Left out of the output-dir pulls (e.g. cargo's incremental caches). */
  pullExcludes: string[];
  end: EndInfo;
  start: StartInfo;
  scan: TreeScan;
  /** Fingerprints of the output dirs as rch last left them (sync record). */
  previous: Record<string, string> | undefined;
  report: ExecReporter;
}

const everything = () => true;

/** The nearest existing ancestor's real path must be inside the root: no pulling through a symlink out. */
function escapes(realRoot: string, dir: string): boolean {
  let p = dir;
  while (!existsSync(p)) p = dirname(p);
  return !isInsideDir(realRoot, realpathSync(p));
}

/** cargo's files that record absolute paths, as text: dep-info, build-script OUT_DIR and output. */
const CARGO_PATH_FILES = /(\.d|\/root-output|\/output)$/;

export async function returnArtifacts(inp: ReturnInput): Promise<ReturnResult> {
  const realRoot = realpathSync(inp.root);
  const pairs = [
    [inp.start.physicalDir, inp.root],
    [inp.start.dir, inp.root],
  ] as const;
  const outputs: Record<string, string> = {};
  const placedAll: string[] = [];
  for (const [i, abs] of inp.outputDirs.entries()) {
    const rel = relative(inp.root, abs);
    const state = inp.end.outputs[i] ?? "m";
    if (state === "m") continue;
    if (escapes(realRoot, abs)) return { ok: false, reason: `${rel} leads outside the project; not pulled` };
    if (state === "u" && inp.previous?.[rel] !== undefined && existsSync(abs)) {
      const local = scanTree(abs, everything).hash;
      if (local === inp.previous[rel]) {
        outputs[rel] = local;
        inp.report.detail(`artifacts: ${rel} unchanged on both sides`);
        continue;
      }
    }
    const r = await runRsync(
      pullDirArgv(inp.rsync, inp.remoteDir, rel, abs, inp.pullExcludes),
      inp.rsync.timeoutMs,
      inp.rsync.signal,
    );
    if (!r.ok) return { ok: false, reason: `pulling ${rel}: ${r.reason}` };
    for (const line of r.stats.split("\n")) {
      if (CARGO_PATH_FILES.test(`/${line}`)) rerootTextFile(join(abs, line), pairs);
    }
    outputs[rel] = scanTree(abs, everything).hash;
    inp.report.detail(`artifacts: pulled ${rel} in ${Math.round(r.ms)} ms`);
  }
  if (inp.end.newFiles) {
    const stage = join(inp.root, `.rch-stage-${inp.nonce}`);
    try {
      const list = `${inp.remoteDir}.rch-new-${inp.nonce}`;
      const r = await runRsync(
        pullListArgv(inp.rsync, inp.remoteDir, list, stage),
        inp.rsync.timeoutMs,
        inp.rsync.signal,
      );
      if (!r.ok) return { ok: false, reason: `pulling in-tree outputs: ${r.reason}` };
      for (const rel of listStaged(stage)) rerootTextFile(join(stage, rel), pairs);
      const placed = placeStaged(inp.root, stage, inp.scan);
      placedAll.push(...placed.placed);
      for (const f of placed.refused) inp.report.warn(`kept the local ${f.rel}, not the build's (${f.why})`);
      inp.report.detail(`artifacts: ${placed.placed.length} in-tree file(s) in ${Math.round(r.ms)} ms`);
    } finally {
      removeStage(stage);
    }
  }
  return { ok: true, outputs, placed: placedAll };
}
