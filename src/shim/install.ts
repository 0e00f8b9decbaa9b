// `rch shim install|uninstall`: one shim per command word of the family registry, each written
// atomically (temp file, then link or rename), never over a file that is not rch's, and only
// rch's files removed again. Running either twice changes nothing the second time.
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { COMMAND_NAMES } from "../classify/index.ts";
import { inspectShimFile } from "./files.ts";
import { STAMP, shimScript } from "./wrapper.ts";

export interface InstallResult {
  dir: string;
  written: string[];
  unchanged: string[];
  /** Names whose file in the dir is not rch's: left alone, so that tool gets no shim. */
  refused: string[];
  /** rch's shims for names the registry no longer has. */
  removed: string[];
}

const STAMP_TEXT = "rch's PATH shim dir: shims skip every PATH entry holding this file.\n";

/** Writes text to dir/name atomically; `replace` false: only if nothing is there meanwhile. */
function writeAtomic(dir: string, name: string, text: string, replace: boolean, mode = 0o755): void {
  const tmp = join(dir, `.${name}.rch-tmp-${process.pid}`);
  writeFileSync(tmp, text, { mode, flag: "w" });
  try {
    chmodSync(tmp, mode); // the umask may have taken bits away
    if (replace) renameSync(tmp, join(dir, name));
    else linkSync(tmp, join(dir, name)); // EEXIST if a file appeared since we looked
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // renamed away
    }
  }
}

export function installShims(
  dir: string,
  rchArgv: readonly string[],
  names: readonly string[] = COMMAND_NAMES,
): InstallResult {
  const r: InstallResult = { dir, written: [], unchanged: [], refused: [], removed: [] };
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // The stamp first: a shim must never find a dir without it and run itself.
  if (inspectShimFile(join(dir, STAMP)).kind === "absent") writeAtomic(dir, STAMP, STAMP_TEXT, false, 0o644);
  for (const name of names) {
    const path = join(dir, name);
    const text = shimScript(name, rchArgv);
    const found = inspectShimFile(path);
    if (found.kind === "foreign") r.refused.push(name);
    else if (found.kind === "ours" && readFileSync(path, "utf8") === text) r.unchanged.push(name);
    else {
      writeAtomic(dir, name, text, found.kind === "ours");
      r.written.push(name);
    }
  }
  for (const name of readdirSync(dir)) {
    if (names.includes(name)) continue;
    if (inspectShimFile(join(dir, name)).kind !== "ours") continue;
    unlinkSync(join(dir, name));
    r.removed.push(name);
  }
  return r;
}

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
