// Step 6: bring the build's outputs back, whatever its exit code (failed tests still leave
// binaries). Output dirs (cargo's target…) are pulled straight into place, but only when the
// worker says they changed or the local copy is no longer what we left there; in-tree outputs
// (make, gcc…, cargo's Cargo.lock) come through a staging dir and are moved in one by one under
// the safety rules of transfer/artifacts.ts. Order: stage the in-tree files, judge every returned
// executable (transfer/elf.ts) before anything is placed, pull the output dirs, place the staged
// files, then delete what the build deleted in the watched dirs (transfer/mirror.ts).
import { existsSync, lstatSync, realpathSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { type Baseline, listStaged, placeStaged, removeStage } from "../transfer/artifacts.ts";
import { holdCargoLocks } from "../transfer/cargoLock.ts";
import { foreignReason, identOfFile } from "../transfer/elf.ts";
import { scanTree } from "../transfer/fingerprint.ts";
import { isInsideDir } from "../transfer/inside.ts";
import { removeGone } from "../transfer/mirror.ts";
import { pullDirArgv, pullListArgv, type RsyncCommon, runRsync } from "../transfer/rsync.ts";
import { compileRules } from "../transfer/rules.ts";
import { rerootTextFile } from "../transfer/textFix.ts";
import type { EndInfo, StartInfo } from "./markers.ts";
import type { ExecReporter } from "./report.ts";
import { profileDirs } from "./seed.ts";

export type ReturnResult =
  | { ok: true; outputs: Record<string, string>; placed: string[]; removed: string[] }
  /** `foreign`: nothing was placed, because an executable cannot run on this machine. */
  | { ok: false; reason: string; foreign?: boolean };

export interface ReturnInput {
  rsync: RsyncCommon;
  root: string;
  remoteDir: string;
  nonce: string;
  /** Absolute local output dirs, in the order the script reported them. */
  outputDirs: string[];
  /** Left out of the output-dir pulls (e.g. cargo's incremental caches). */
  pullExcludes: string[];
  /** Configured build dirs (absolute): watched for deletions like the output dirs. */
  fixDirs: string[];
  /** Dirs (absolute) whose executables are meant for another machine (cross builds). */
  crossDirs: string[];
  end: EndInfo;
  start: StartInfo;
  scan: Baseline;
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

/** The first returned executable that cannot run here (worker notes, then staged files). */
function foreignExecutable(inp: ReturnInput, stage: string, staged: readonly string[]): string | undefined {
  const cross = inp.crossDirs.map((d) => relative(inp.root, d));
  const judged = (rel: string) => !cross.some((c) => rel.startsWith(`${c}/`));
  for (const exe of inp.end.executables) {
    const why = judged(exe.path) ? foreignReason(exe.path, exe.ident) : undefined;
    if (why) return why;
  }
  for (const rel of staged) {
    const path = join(stage, rel);
    const st = lstatSync(path);
    if (!st.isFile() || (st.mode & 0o111) === 0 || !judged(rel)) continue;
    const id = identOfFile(path);
    const why = id ? foreignReason(rel, id) : undefined;
    if (why) return why;
  }
  return undefined;
}

export async function returnArtifacts(inp: ReturnInput): Promise<ReturnResult> {
  const stage = join(inp.root, `.rch-stage-${inp.nonce}`);
  try {
    return await returnStaged(inp, stage);
  } finally {
    if (inp.end.newFiles) removeStage(stage);
  }
}

async function returnStaged(inp: ReturnInput, stage: string): Promise<ReturnResult> {
  const realRoot = realpathSync(inp.root);
  const pairs = [
    [inp.start.physicalDir, inp.root],
    [inp.start.dir, inp.root],
  ] as const;
  let staged: string[] = [];
  if (inp.end.newFiles) {
    const list = `${inp.remoteDir}.rch-new-${inp.nonce}`;
    const r = await runRsync(
      pullListArgv(inp.rsync, inp.remoteDir, list, stage),
      inp.rsync.timeoutMs,
      inp.rsync.signal,
    );
    if (!r.ok) return { ok: false, reason: `pulling in-tree outputs: ${r.reason}` };
    staged = listStaged(stage);
    inp.report.detail(`artifacts: ${staged.length} in-tree file(s) staged in ${Math.round(r.ms)} ms`);
  }
  const foreign = foreignExecutable(inp, stage, staged);
  if (foreign) return { ok: false, reason: foreign, foreign: true };
  // Which output dirs come back: changed on the worker, or no longer what rch left here.
  const outputs: Record<string, string> = {};
  const pulled: string[] = [];
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
    pulled.push(abs);
  }
  // They are written under cargo's lock on each of their profile dirs here (transfer/
  // cargoLock.ts): the pulls, the re-rooting and the deletions, all of it.
  const locks = pulled.flatMap((abs) => profileDirs(abs).map((p) => join(abs, p, ".cargo-lock")));
  const held = locks.length ? await holdCargoLocks(locks, inp.rsync.timeoutMs) : undefined;
  if (held && !held.ok) return { ok: false, reason: held.reason };
  try {
    return await placeOutputs(inp, stage, staged, pulled, outputs, pairs);
  } finally {
    if (held?.ok) await held.release();
  }
}

async function placeOutputs(
  inp: ReturnInput,
  stage: string,
  staged: string[],
  pulled: readonly string[],
  outputs: Record<string, string>,
  pairs: readonly (readonly [string, string])[],
): Promise<ReturnResult> {
  for (const abs of pulled) {
    const rel = relative(inp.root, abs);
    // A cargo lock file that exists here stays the one it is: a new inode would be a second lock
    // beside the one a running cargo holds (rsync replaces a file by renaming a new one over it).
    const locks = profileDirs(abs).map((p) => `/${p}/.cargo-lock`);
    const r = await runRsync(
      pullDirArgv(inp.rsync, inp.remoteDir, rel, abs, [...inp.pullExcludes, ...locks]),
      inp.rsync.timeoutMs,
      inp.rsync.signal,
    );
    if (!r.ok) return { ok: false, reason: `pulling ${rel}: ${r.reason}` };
    for (const line of r.stats.split("\n")) {
      if (CARGO_PATH_FILES.test(`/${line}`)) rerootTextFile(join(abs, line), pairs);
    }
    inp.report.detail(`artifacts: pulled ${rel} in ${Math.round(r.ms)} ms`);
  }
  const placedAll: string[] = [];
  if (staged.length) {
    for (const rel of staged) rerootTextFile(join(stage, rel), pairs);
    const placed = placeStaged(inp.root, stage, inp.scan);
    placedAll.push(...placed.placed);
    for (const f of placed.refused) inp.report.warn(`kept the local ${f.rel}, not the build's (${f.why})`);
  }
  const removed = mirrorDeletions(inp);
  for (const [i, abs] of inp.outputDirs.entries()) {
    const rel = relative(inp.root, abs);
    if ((inp.end.outputs[i] ?? "m") !== "m" && outputs[rel] === undefined)
      outputs[rel] = scanTree(abs, everything).hash;
  }
  return { ok: true, outputs, placed: placedAll, removed };
}

/** What the build deleted in the watched dirs, deleted here (transfer/mirror.ts). */
function mirrorDeletions(inp: ReturnInput): string[] {
  if (!inp.end.gone.length) return [];
  const outDirs = inp.outputDirs.map((d) => relative(inp.root, d));
  const pulledOut = compileRules(inp.pullExcludes.map((pattern) => ({ include: false, pattern })));
  // A pull exclude is relative to its output dir, and names a directory ("incremental/").
  const skip = (rel: string) => {
    const dir = outDirs.find((d) => rel.startsWith(`${d}/`));
    if (dir === undefined) return false;
    const parts = rel.slice(dir.length + 1).split("/");
    for (let n = 1; n < parts.length; n++)
      if (!pulledOut(parts.slice(0, n).join("/"), parts[n - 1]!, true)) return true;
    return false;
  };
  const dirs = [...outDirs, ...inp.fixDirs.map((d) => relative(inp.root, d) || ".")];
  const r = removeGone({ root: inp.root, dirs, skip, gone: inp.end.gone, base: inp.scan });
  for (const rel of r.kept)
    inp.report.warn(`kept the local ${rel}, which the build deleted (changed locally during the build)`);
  if (r.removed.length)
    inp.report.detail(`artifacts: ${r.removed.length} file(s) the build deleted, deleted here`);
  return r.removed;
}
