// The two settings deciding a line needs: whether rch is enabled, and the confidence threshold.
// Read on the two per-call paths, the hook and the PATH shim's `rch shim decide`. With no user
// config file and no threshold override they are the defaults, and the config machinery (schema,
// validation, TOML: ~2.5 ms of a ~31 ms hook run here, measured) is never loaded.
// (RCH_BYPASS / RCH_ENABLED=false are looked at by the callers, before anything else.)
import { existsSync } from "node:fs";
import { DEFAULT_CONFIDENCE_THRESHOLD, userConfigFile } from "./paths.ts";

export interface ClassifySettings {
  enabled: boolean;
  threshold: number;
}

/** undefined: the config file exists but cannot be read (then the line runs as written). */
export async function classifySettings(env: NodeJS.ProcessEnv): Promise<ClassifySettings | undefined> {
  if (env.RCH_CONFIDENCE_THRESHOLD === undefined && !existsSync(userConfigFile())) {
    return { enabled: true, threshold: DEFAULT_CONFIDENCE_THRESHOLD };
  }
  const { loadConfig } = await import("./load.ts");
  const { config, unreadable } = loadConfig({ env, workers: false });
  if (unreadable) return undefined;
  return { enabled: config.general.enabled, threshold: config.compilation.confidence_threshold };
}
