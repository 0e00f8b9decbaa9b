// Identities of C compilers and build tools, in the very words src/worker/toolchains.sh prints for
// a worker's, so the two compare as strings: a compiler is `--version` line 1 and `-dumpmachine`
// joined by "|" (gcc 8.5 ms a run, measured here), any other tool its `--version` line 1 (bun:
// `--revision`). Cached under the binary's stat (identityCache.ts): a warm build spawns nothing.
import { basename, dirname } from "node:path";
import { identityOf, toolOutput } from "./identityCache.ts";
import { realpathOr, whichCommand } from "./which.ts";

const firstLine = (s: string | undefined) => s?.split("\n")[0]?.trim();

/** `<--version line 1>|<-dumpmachine>` of the compiler at `path`, or undefined if it does not run. */
export function compilerIdentity(path: string): Promise<string | undefined> {
  return identityOf("cc", realpathOr(path), async () => {
    const v = firstLine(await toolOutput([path, "--version"]));
    const m = firstLine(await toolOutput([path, "-dumpmachine"]));
    return v === undefined || m === undefined ? undefined : `${v}|${m}`;
  });
}

/** The first line of `<path> <flag>`. */
export function versionIdentity(path: string, flag = "--version"): Promise<string | undefined> {
  return identityOf(`v${flag}`, realpathOr(path), async () => firstLine(await toolOutput([path, flag])));
}

const WRAPPERS = new Set(["ccache", "sccache"]);

/**
 * The compiler `name` runs here: the first `name` on PATH, skipping masquerading wrappers
 * (/usr/lib/ccache/gcc is a link to ccache, which runs the next gcc on PATH — so does rch).
 */
export function resolveCompiler(
  name: string,
  env: Record<string, string | undefined>,
  cwd: string,
): string | undefined {
  let path = env.PATH ?? "";
  for (let i = 0; i < 16; i++) {
    const found = whichCommand(name, { ...env, PATH: path }, cwd);
    if (!found || !WRAPPERS.has(basename(realpathOr(found)))) return found;
    const dir = dirname(found);
    path = path
      .split(":")
      .filter((d) => d && d !== dir)
      .join(":");
  }
  return undefined;
}

const COMPILERS = new Set(["cc", "gcc", "g++", "c++", "clang", "clang++"]);

/** The identity here of the tool a worker reported by `name` (toolchains.sh's tools half), in
 * the same words: a compiler's through resolveCompiler, bun's `--revision`, others' `--version`. */
export function toolIdentity(
  name: string,
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<string | undefined> {
  const compiler = COMPILERS.has(name);
  const path = compiler ? resolveCompiler(name, env, cwd) : whichCommand(name, env, cwd);
  if (!path) return Promise.resolve(undefined);
  return compiler
    ? compilerIdentity(path)
    : versionIdentity(path, name === "bun" ? "--revision" : "--version");
}
