// `rch shim uninstall`: removes rch's shims — files whose head says so, whatever their name —
// and never anything else; the stamp last, and the dir only when nothing else is left in it.
import { readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { COMMAND_NAMES } from "../classify/index.ts";
import { inspectShimFile } from "./files.ts";
import { STAMP } from "./wrapper.ts";

export interface UninstallResult {
  dir: string;
  removed: string[];
  /** Files named like a tool that are not rch's: kept. */
  kept: string[];
  dirRemoved: boolean;
}

export function uninstallShims(dir: string, names: readonly string[] = COMMAND_NAMES): UninstallResult {
  const r: UninstallResult = { dir, removed: [], kept: [], dirRemoved: false };
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return r;
  }
  for (const name of entries.sort()) {
    const kind = inspectShimFile(join(dir, name)).kind;
    if (kind === "ours") {
      unlinkSync(join(dir, name));
      r.removed.push(name);
    } else if (names.includes(name)) r.kept.push(name);
  }
  // The stamp goes last, once no shim of rch's is left to rely on it.
  try {
    unlinkSync(join(dir, STAMP));
  } catch {
    // not there
  }
  try {
    rmdirSync(dir); // only when empty: a user's files keep it
    r.dirRemoved = true;
  } catch {
    // not empty
  }
  return r;
}
