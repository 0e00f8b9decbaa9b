// The environment a remote build sees. The worker's own login environment is the base (its PATH,
// HOME, CARGO_HOME…); on top go, in increasing precedence: allowlisted variables from our
// environment, config [environment], the command's own NAME=value words. A value that is a path
// inside the project is re-rooted at the remote copy; machine-specific variables never travel.
import { isAbsolute, relative } from "node:path";
import { isInsideDir } from "../transfer/inside.ts";
import type { Assignment } from "./argv.ts";
import { envOutsideRoot } from "./outside.ts";

/** Variables that describe how to build, not where this machine keeps things. */
const BUILTIN_ALLOW =
  /^(RUST_BACKTRACE|RUST_LIB_BACKTRACE|RUST_LOG|RUST_TEST_[A-Z_]+|RUST_MIN_STACK|RUSTFLAGS|RUSTDOCFLAGS|CARGO_[A-Z0-9_]+|CC|CXX|CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS|MAKEFLAGS|NO_COLOR|CLICOLOR|CLICOLOR_FORCE|FORCE_COLOR|TERM|COLORTERM|LANG|LANGUAGE|LC_[A-Z]+|TZ|CI|NODE_ENV|BUN_CONFIG_[A-Z_]+|SOURCE_DATE_EPOCH)$/;
/** CARGO_* that name local places (the worker has its own), or are set by cargo for its children. */
const CARGO_LOCAL =
  /^CARGO_(HOME|INSTALL_ROOT|MANIFEST_DIR|MANIFEST_PATH|PKG_[A-Z_]+|BIN_[A-Z_]+|CRATE_NAME|PRIMARY_PACKAGE|TARGET_TMPDIR|MAKEFLAGS)$/;
/** Changing these on the command line changes which programs run: such a build stays local. */
const LOCAL_ONLY = new Set(["PATH", "HOME", "LD_LIBRARY_PATH", "LD_PRELOAD", "SHELL", "TMPDIR"]);

export interface RemoteEnv {
  /** Exported as NAME=value. */
  plain: [string, string][];
  /** Exported as NAME=<remote copy>/<rel>. */
  rooted: [string, string][];
}

export type EnvResult =
  | { ok: true; env: RemoteEnv; merged: Record<string, string> }
  | { ok: false; reason: string };

export interface EnvInputs {
  local: Record<string, string | undefined>;
  extraAllow: readonly string[];
  configEnv: Record<string, string>;
  assignments: readonly Assignment[];
  root: string;
  cwd: string;
  /** Local stdout is a terminal and colours are wanted: force them remotely. */
  forceColor: boolean;
}

/** MAKEFLAGS from a local make carries jobserver fds that do not exist on the worker. */
function cleanMakeflags(v: string): string {
  return v
    .split(/\s+/)
    .filter((w) => w && !/^--jobserver-(auth|fds)=/.test(w) && !/^-j\d*$/.test(w))
    .join(" ");
}

export function remoteEnv(inp: EnvInputs): EnvResult {
  for (const [name] of inp.assignments) {
    if (LOCAL_ONLY.has(name)) return { ok: false, reason: `${name} is set on the command line` };
  }
  const merged: Record<string, string> = {};
  const allow = new Set(inp.extraAllow);
  for (const [name, value] of Object.entries(inp.local)) {
    if (value === undefined) continue;
    if ((BUILTIN_ALLOW.test(name) && !CARGO_LOCAL.test(name)) || allow.has(name)) merged[name] = value;
  }
  if (merged.MAKEFLAGS !== undefined) merged.MAKEFLAGS = cleanMakeflags(merged.MAKEFLAGS);
  // What travels from here (not config [environment], which is written for the workers) must not
  // point at files the sync will not carry.
  const assigned = new Set(inp.assignments.map(([name]) => name));
  const fromHere = Object.entries(merged).filter(([name]) => !(name in inp.configEnv) && !assigned.has(name));
  for (const [name, value] of inp.assignments) fromHere.push([name, value]);
  const outside = envOutsideRoot(fromHere, inp.root, inp.cwd);
  if (outside) {
    return { ok: false, reason: `${outside[0]} names ${outside[1]}, outside the project ${inp.root}` };
  }
  Object.assign(merged, inp.configEnv);
  for (const [name, value] of inp.assignments) merged[name] = value;
  if (inp.forceColor && merged.NO_COLOR === undefined) {
    merged.CARGO_TERM_COLOR ??= "always";
    merged.CLICOLOR_FORCE ??= "1";
    merged.FORCE_COLOR ??= "1";
  }
  const env: RemoteEnv = { plain: [], rooted: [] };
  for (const [name, value] of Object.entries(merged)) {
    const rel = insideRoot(value, inp.root, inp.cwd, name);
    if (rel !== undefined) env.rooted.push([name, rel]);
    else env.plain.push([name, value]);
  }
  return { ok: true, env, merged };
}

/** Root-relative path when the value is a path inside the project (CARGO_TARGET_DIR may be relative). */
function insideRoot(value: string, root: string, cwd: string, name: string): string | undefined {
  const relativeOk = name === "CARGO_TARGET_DIR" || name === "CARGO_BUILD_TARGET_DIR";
  if (!isAbsolute(value) && !(relativeOk && value !== "")) return undefined;
  const abs = isAbsolute(value) ? value : `${cwd}/${value}`;
  if (!isInsideDir(root, abs)) return undefined;
  return relative(root, abs) || ".";
}
