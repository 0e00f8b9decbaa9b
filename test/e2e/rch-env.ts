// rch's own configuration for an end-to-end test against a bed fleet: a scratch config dir whose
// workers.toml names the fleet, an ssh_config that trusts exactly the fleet's host keys, and the
// environment that points rch (and the rchd it starts) at them. Shared by every agent's e2e.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Fleet } from "../bed/fleet.ts";

/** Writes the files under `base` and returns the RCH_* variables to run rch with. */
export function rchEnvFor(fleet: Fleet, base: string): Record<string, string> {
  const cfg = join(base, "cfg");
  mkdirSync(cfg, { recursive: true });
  writeFileSync(join(cfg, "workers.toml"), fleet.workersToml());
  writeFileSync(
    join(base, "ssh_config"),
    `Host 127.0.0.1\n  UserKnownHostsFile ${fleet.knownHostsFile}\n  StrictHostKeyChecking yes\n`,
  );
  return {
    RCH_CONFIG_DIR: cfg,
    RCH_CACHE_DIR: join(base, "cache"),
    RCH_STATE_DIR: join(base, "state"),
    RCH_SSH_CONFIG: join(base, "ssh_config"),
    RCH_MIN_LOCAL_TIME_MS: "0", // else the timing gate keeps these short builds local
  };
}
