// Moves in-tree build outputs from the staging dir into the project, one file at a time, and
// only when that is safe:
//   - never over a local file changed after the sync-up (another agent may be editing it): a
//     synced file's stat must equal the scan's; any other file's ctime must predate the scan;
//   - never outside the project: the destination's real parent dir must be inside the root
//     (a symlinked dir in the path may not lead out), and a returned symlink must not point out;
//   - never over a directory, never deleting anything.
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type EntryStat, sameStat, statOf } from "./fingerprint.ts";
import { isInsideDir } from "./inside.ts";

export interface Baseline {
  /** Stat at scan time of a synced file, if it was part of the scan. */
  entry(rel: string): EntryStat | undefined;
  /** ms since epoch when the scan began. */
  startedAt: number;
}

export type Refusal = { rel: string; why: string };

export interface PlaceResult {
  placed: string[];
  refused: Refusal[];
}

/** Coarse kernel timestamps may trail the wall clock by a tick: treat that much earlier as "after". */
const CLOCK_SLACK_MS = 10;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Files and symlinks under dir, relative to it (directories are created, never moved). */
export function listStaged(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const ent of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...listStaged(dir, rel));
    else if (ent.isFile() || ent.isSymbolicLink()) out.push(rel);
  }
  return out;
}

/** Creates missing parent dirs of `rel` one level at a time, each checked to stay inside root. */
function ensureParent(realRoot: string, root: string, rel: string): string | undefined {
  const parts = rel.split("/").slice(0, -1);
  let cur = root;
  for (const part of parts) {
    if (part === "" || part === "." || part === "..") return `bad path component '${part}'`;
    cur = join(cur, part);
    const st = lstatOrUndefined(cur);
    if (!st) mkdirSync(cur);
    else if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = realpathSync(cur);
      } catch {
        return `${cur} is a dangling symlink`;
      }
      if (!isInsideDir(realRoot, real)) return `${cur} leads outside the project`;
      if (!lstatOrUndefined(real)?.isDirectory()) return `${cur} is not a directory`;
    } else if (!st.isDirectory()) return `${cur} is not a directory`;
  }
  const real = realpathSync(dirname(join(root, rel)));
  return isInsideDir(realRoot, real) ? undefined : `${dirname(rel)} leads outside the project`;
}

function refuseReason(
  realRoot: string,
  root: string,
  rel: string,
  staged: string,
  base: Baseline,
): string | undefined {
  const dest = join(root, rel);
  const sst = lstatSync(staged);
  if (sst.isSymbolicLink()) {
    const target = readlinkSync(staged);
    if (target.startsWith("/")) return `symlink to an absolute path (${target})`;
    // Judge the link by where it would point once in place (through real parent dirs).
    const resolved = resolve(realpathSync(dirname(dest)), target);
    if (!isInsideDir(realRoot, resolved)) return `symlink pointing outside the project (${target})`;
  }
  const cur = lstatOrUndefined(dest);
  if (!cur) return undefined;
  if (cur.isDirectory()) return "a directory is in the way";
  // A synced file must be exactly as the scan saw it; anything else (new, or in an excluded
  // output dir) must not have been touched since the scan began.
  const before = base.entry(rel);
  const changed = before ? !sameStat(before, statOf(cur)) : cur.ctimeMs > base.startedAt - CLOCK_SLACK_MS;
  return changed ? "changed locally during the build" : undefined;
}

export function placeStaged(root: string, stage: string, base: Baseline): PlaceResult {
  const realRoot = realpathSync(root);
  const result: PlaceResult = { placed: [], refused: [] };
  for (const rel of listStaged(stage)) {
    const staged = join(stage, rel);
    const bad = ensureParent(realRoot, root, rel) ?? refuseReason(realRoot, root, rel, staged, base);
    if (bad) {
      result.refused.push({ rel, why: bad });
      continue;
    }
    renameSync(staged, join(root, rel)); // same filesystem: the stage lives inside the root
    result.placed.push(rel);
  }
  return result;
}

export function removeStage(stage: string): void {
  rmSync(stage, { recursive: true, force: true });
}
