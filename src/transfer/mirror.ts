// The build dirs here mirror the worker's after the build: a file the build deleted there (the
// worker's gone notes, run.sh) is deleted here too, under the same rules that protect local
// files when outputs are placed (artifacts.ts):
//   - only in a watched dir (an output dir or a configured build dir), never in what the pulls
//     leave out (cargo's incremental caches), never a directory;
//   - never a file changed locally after the sync-up: a synced file must be exactly as the scan
//     saw it, any other must not have been touched since the scan began;
//   - never outside the project: no `..`, and the file's real parent dir must be inside the root.
import { lstatSync, realpathSync, rmSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import type { Baseline } from "./artifacts.ts";
import { sameStat, statOf } from "./fingerprint.ts";
import { isInsideDir } from "./inside.ts";

const CLOCK_SLACK_MS = 10;

export interface MirrorInput {
  root: string;
  /** Watched dirs, relative to the root ("." for the root itself). */
  dirs: readonly string[];
  /** Left alone: true for a path (relative to the root) the pulls never bring back. */
  skip: (rel: string) => boolean;
  gone: readonly string[];
  base: Baseline;
}

export interface MirrorResult {
  removed: string[];
  /** Files kept because they changed here after the sync (said in one line each). */
  kept: string[];
}

function under(rel: string, dir: string): boolean {
  return dir === "." || rel.startsWith(`${dir}/`);
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

export function removeGone(inp: MirrorInput): MirrorResult {
  const realRoot = realpathSync(inp.root);
  const out: MirrorResult = { removed: [], kept: [] };
  for (const rel of inp.gone) {
    const parts = rel.split("/");
    if (rel.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) continue;
    // Never the repository or the dependencies, whatever the worker says (an in-source build dir).
    if (parts.some((p) => p === ".git" || p === "node_modules")) continue;
    if (!inp.dirs.some((d) => under(rel, d)) || inp.skip(rel)) continue;
    const path = join(inp.root, rel);
    const st = lstatOrUndefined(path);
    if (!st || st.isDirectory()) continue;
    let parent: string;
    try {
      parent = realpathSync(dirname(path));
    } catch {
      continue;
    }
    if (!isInsideDir(realRoot, parent)) continue;
    const before = inp.base.entry(rel);
    const changed = before ? !sameStat(before, statOf(st)) : st.ctimeMs > inp.base.startedAt - CLOCK_SLACK_MS;
    if (changed) {
      out.kept.push(rel);
      continue;
    }
    rmSync(path, { force: true });
    out.removed.push(rel);
  }
  return out;
}
