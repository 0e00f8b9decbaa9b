// Finding a command the way a shell would (the first executable of that name in PATH), minus
// rch's own PATH shims: a dir holding `.rch-shim` is skipped, as the shims themselves skip it
// (README, The PATH shim), so the answer is the real tool the build would end up running.
import { accessSync, constants, existsSync, realpathSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/** The stamp file that marks a shim dir (src/shim/wrapper.ts writes it). */
const SHIM_STAMP = ".rch-shim";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `cmd` as PATH finds it (a word with a `/` is taken relative to cwd). */
export function whichCommand(
  cmd: string,
  env: Record<string, string | undefined>,
  cwd: string,
): string | undefined {
  if (cmd.includes("/")) {
    const p = isAbsolute(cmd) ? cmd : resolve(cwd, cmd);
    return executable(p) ? p : undefined;
  }
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (!executable(p)) continue;
    if (existsSync(join(dir, SHIM_STAMP))) continue;
    return p;
  }
  return undefined;
}

export function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
