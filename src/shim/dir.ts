// Where shims live by default, and the line that puts them first in PATH.
import { isAbsolute, join, resolve } from "node:path";
import { expandHome } from "../config/paths.ts";
import { shQuote } from "../shell/quote.ts";

export function defaultShimDir(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME || expandHome("~/.local/share");
  return join(data, "rch", "shim");
}

/** The dir as given (or the default), absolute. A `:` cannot stand in PATH, so it is refused. */
export function resolveShimDir(dir: string | undefined): string {
  const d = dir === undefined || dir === "" ? defaultShimDir() : resolve(expandHome(dir));
  if (!isAbsolute(d)) throw new Error(`not an absolute directory: ${d}`);
  if (d.includes(":") || d.includes("\n"))
    throw new Error(`a PATH entry cannot contain ':' or a newline: ${d}`);
  return d;
}

/** What the user adds to their shell profile: `export PATH="DIR:$PATH"`, quoted for any DIR. */
export function exportLine(dir: string): string {
  if (shQuote(dir) === dir) return `export PATH="${dir}:$PATH"`;
  return `export PATH=${shQuote(dir)}":$PATH"`;
}
