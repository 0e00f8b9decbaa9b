// Where rch keeps things. Read at call time (never at import) so tests and users can redirect with env.
import { join } from "node:path";
import { userHome } from "./home.ts";

function home(): string {
  return userHome();
}

/** Expands a leading `~/` the way a user writes it in config files. */
export function expandHome(p: string): string {
  if (p === "~") return home();
  if (p.startsWith("~/")) return join(home(), p.slice(2));
  return p;
}

export function configDir(): string {
  return process.env.RCH_CONFIG_DIR || join(process.env.XDG_CONFIG_HOME || join(home(), ".config"), "rch");
}

export function cacheDir(): string {
  return process.env.RCH_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(home(), ".cache"), "rch");
}

export function stateDir(): string {
  return (
    process.env.RCH_STATE_DIR || join(process.env.XDG_STATE_HOME || join(home(), ".local", "state"), "rch")
  );
}

export function userConfigFile(): string {
  return join(configDir(), "config.toml");
}

export function workersFile(): string {
  return join(configDir(), "workers.toml");
}

export function projectConfigFile(projectRoot: string): string {
  return join(projectRoot, ".rch", "config.toml");
}

/** The default confidence threshold. Kept here, beside the file names, rather than only in
 * schema.ts: the hook reads it without loading the config schema when no config file exists. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.85;
