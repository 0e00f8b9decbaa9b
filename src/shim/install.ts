// `rch shim install`: one shim per command word of the family registry, each written atomically
// (temp file, then link or rename), never over a file that is not rch's. Running it twice changes
// nothing the second time.
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
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

/** One shim in place. A file that appears meanwhile (another install, the user) is looked at
 * again rather than overwritten. */
function placeShim(dir: string, name: string, text: string): "written" | "unchanged" | "refused" {
  const path = join(dir, name);
  for (let attempt = 0; ; attempt++) {
    const found = inspectShimFile(path);
    if (found.kind === "foreign") return "refused";
    if (found.kind === "ours" && readFileSync(path, "utf8") === text) return "unchanged";
    try {
      writeAtomic(dir, name, text, found.kind === "ours");
      return "written";
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
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
  if (inspectShimFile(join(dir, STAMP)).kind === "absent") {
    try {
      writeAtomic(dir, STAMP, STAMP_TEXT, false, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // another install was first
    }
  }
  for (const name of names) r[placeShim(dir, name, shimScript(name, rchArgv))].push(name);
  for (const name of readdirSync(dir)) {
    if (names.includes(name)) continue;
    if (inspectShimFile(join(dir, name)).kind !== "ours") continue;
    unlinkSync(join(dir, name));
    r.removed.push(name);
  }
  return r;
}
