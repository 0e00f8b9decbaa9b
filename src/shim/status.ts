// `rch shim status`: which shims are there, whether the rch they run still exists, and whether
// PATH reaches them before the real tools (a shim behind /usr/bin is never run).
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { COMMAND_NAMES } from "../classify/index.ts";
import { inspectShimFile } from "./files.ts";
import { STAMP, shimScript } from "./wrapper.ts";

export interface ToolStatus {
  name: string;
  state: "installed" | "missing" | "foreign";
  /** The real tool the shim would run (first outside shim dirs in PATH), if any. */
  real?: string;
  /** PATH reaches the real tool before the shim dir (or the dir is not in PATH). */
  shadowed: boolean;
}

export interface ShimStatus {
  dir: string;
  installed: boolean;
  tools: ToolStatus[];
  /** The rch the shims run (from the first shim found) and whether it is still there. */
  rch?: string[];
  rchExists: boolean;
  /** 0-based position of the dir in PATH (also through a symlink), or -1. */
  pathIndex: number;
  /** rch's shims whose text is not what this rch writes for them (an older rch wrote them). */
  outdated: string[];
}

/** Whether a shim of ours is exactly what this rch would write for it, with the rch it names. */
function current(path: string, tool: string, rchArgv: string[] | undefined): boolean {
  try {
    return rchArgv !== undefined && readFileSync(path, "utf8") === shimScript(tool, rchArgv);
  } catch {
    return false;
  }
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function shimStatus(
  dir: string,
  pathVar: string,
  names: readonly string[] = COMMAND_NAMES,
): ShimStatus {
  const entries = pathVar.split(":").map((e) => e || ".");
  const dirReal = real(dir);
  const pathIndex = dirReal === undefined ? -1 : entries.findIndex((e) => real(e) === dirReal);
  const isShimDir = (e: string) => existsSync(join(e, STAMP));
  let rch: string[] | undefined;
  const outdated: string[] = [];
  const tools = names.map((name): ToolStatus => {
    const f = inspectShimFile(join(dir, name));
    if (f.kind === "ours") rch ??= f.rchArgv;
    if (f.kind === "ours" && !current(join(dir, name), name, f.rchArgv)) outdated.push(name);
    const at = entries.findIndex((e) => !isShimDir(e) && executable(join(e, name)));
    const t: ToolStatus = {
      name,
      state: f.kind === "ours" ? "installed" : f.kind === "foreign" ? "foreign" : "missing",
      shadowed: pathIndex < 0 || (at >= 0 && at < pathIndex),
    };
    if (at >= 0) t.real = join(entries[at]!, name);
    return t;
  });
  const s: ShimStatus = {
    dir,
    installed: tools.some((t) => t.state === "installed"),
    tools,
    rchExists: rch !== undefined && executable(rch[0]!),
    pathIndex,
    outdated,
  };
  if (rch) s.rch = rch;
  return s;
}
