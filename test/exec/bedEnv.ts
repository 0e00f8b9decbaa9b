// Pointing rch at a test-bed fleet: its own config/cache/state dirs, the fleet's workers.toml,
// and an ssh_config (RCH_SSH_CONFIG) that trusts the bed's host keys. Also builds dist/rch when
// any source is newer (the tests exercise the compiled binary agents run).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Fleet } from "../bed/fleet.ts";
import { must } from "../bed/proc.ts";

export const REPO = join(import.meta.dir, "..", "..");
export const RCH = join(REPO, "dist", "rch");

export interface RchEnv {
  dir: string;
  env: Record<string, string>;
  cleanup(): void;
}

export function rchEnv(fleet: Fleet, extra: Record<string, unknown> = {}): RchEnv {
  const dir = mkdtempSync("/tmp/rchx-");
  for (const d of ["config", "cache", "state"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "config", "workers.toml"), fleet.workersToml(extra));
  writeFileSync(join(dir, "ssh_config"), `Host *\n  UserKnownHostsFile ${fleet.knownHostsFile}\n`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("RCH_")) env[k] = v;
  Object.assign(env, {
    RCH_CONFIG_DIR: join(dir, "config"),
    RCH_CACHE_DIR: join(dir, "cache"),
    RCH_STATE_DIR: join(dir, "state"),
    RCH_SSH_CONFIG: join(dir, "ssh_config"),
    RCH_MIN_LOCAL_TIME_MS: "0",
  });
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

export async function ensureBinary(): Promise<string> {
  if (!existsSync(RCH) || newest(join(REPO, "src")) > statSync(RCH).mtimeMs) {
    await must([join(REPO, "node_modules", ".bin", "bun"), "run", "build"], {
      cwd: REPO,
      timeoutMs: 120_000,
    });
  }
  return RCH;
}
