// After in-tree artifacts were moved in (and the files the build deleted were deleted here too),
// the local tree differs from the one synced up only by those files, which the worker already has
// (same bytes, same mtimes) or no longer has. Rescanning and adopting
// the new fingerprint spares the next build a pointless rsync — but only when nothing else
// changed locally meanwhile: every other file exactly as the sync-up scan saw it, none gone.
//
// When something else did change (an agent edited a source during the build), the returned
// outputs were built from the older sources. Their mtimes are then moved back to the sync-up
// time, so they are older than the edits and the next make/ninja rebuilds from the edited files.
import { lstatSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { sameStat, scanTree, type TreeScan } from "./fingerprint.ts";
import type { Matcher } from "./rules.ts";

const CLOCK_SLACK_MS = 10;

/** The tree state to record for the remote copy, or undefined when it must be synced again. */
export function settleAfterPlacement(
  root: string,
  keep: Matcher,
  before: TreeScan,
  placed: readonly string[],
  removed: readonly string[] = [],
): TreeScan | undefined {
  const after = scanTree(root, keep);
  const ours = new Set(placed);
  let clean = true;
  for (const [rel, st] of after.entries()) {
    if (ours.has(rel)) continue;
    const was = before.entry(rel);
    if (!was || !sameStat(was, st)) {
      clean = false;
      break;
    }
  }
  const added = placed.filter(
    (rel) => after.entry(rel) !== undefined && before.entry(rel) === undefined,
  ).length;
  const gone = removed.filter(
    (rel) => before.entry(rel) !== undefined && after.entry(rel) === undefined,
  ).length;
  if (clean && after.files === before.files + added - gone) return after;
  ageOutputs(root, placed, before.startedAt);
  return undefined;
}

/** The returned outputs were built from sources older than local edits made meanwhile: move
 * their mtimes back to the sync-up time, so the next make/ninja rebuilds from the edits. */
export function ageOutputs(root: string, placed: readonly string[], startedAt: number): void {
  const back = (startedAt - CLOCK_SLACK_MS) / 1000;
  for (const rel of placed) {
    const p = join(root, rel);
    try {
      const st = lstatSync(p);
      if (st.isFile() && st.mtimeMs / 1000 > back) utimesSync(p, st.atimeMs / 1000, back);
    } catch {
      // gone meanwhile: nothing to age
    }
  }
}
