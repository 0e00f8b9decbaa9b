// The two settings a hook run needs: whether rch is enabled, and the confidence threshold. With
// no user config file and no threshold override they are the defaults, and the config machinery
// (schema, validation, TOML: ~2.5 ms of a ~31 ms hook run here, measured) is never loaded.
// (RCH_BYPASS / RCH_ENABLED=false were looked at before this.)
import { existsSync } from "node:fs";
import { DEFAULT_CONFIDENCE_THRESHOLD, userConfigFile } from "../config/paths.ts";

export interface HookSettings {
  enabled: boolean;
  threshold: number;
}

/** undefined: the config file exists but cannot be read (then the hook prints nothing). */
export async function hookSettings(env: NodeJS.ProcessEnv): Promise<HookSettings | undefined> {
  if (env.RCH_CONFIDENCE_THRESHOLD === undefined && !existsSync(userConfigFile())) {
    return { enabled: true, threshold: DEFAULT_CONFIDENCE_THRESHOLD };
  }
  const { loadConfig } = await import("../config/load.ts");
  const { config, unreadable } = loadConfig({ env, workers: false });
  if (unreadable) return undefined;
  return { enabled: config.general.enabled, threshold: config.compilation.confidence_threshold };
}
