// Pointing rch at a test-bed fleet: its own config/cache/state dirs, the fleet's workers.toml,
// and an ssh_config (RCH_SSH_CONFIG) that trusts the bed's host keys. Also builds dist/rch when
// any source is newer (the tests exercise the compiled binary agents run).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
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
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("RCH_")) env[k] = v;
  Object.assign(env, rchConfigIn(dir, fleet, extra));
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes rch's config for `fleet` under `dir` (config/, cache/, state/, ssh_config) and returns
 * only the RCH_* variables that point rch (and the rchd it starts) there. */
export function rchConfigIn(
  dir: string,
  fleet: Fleet,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  for (const d of ["config", "cache", "state"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "config", "workers.toml"), fleet.workersToml(extra));
  writeFileSync(join(dir, "ssh_config"), `Host *\n  UserKnownHostsFile ${fleet.knownHostsFile}\n`);
  return {
    RCH_CONFIG_DIR: join(dir, "config"),
    RCH_CACHE_DIR: join(dir, "cache"),
    RCH_STATE_DIR: join(dir, "state"),
    RCH_SSH_CONFIG: join(dir, "ssh_config"),
    RCH_MIN_LOCAL_TIME_MS: "0", // else the timing gate keeps the tests' short builds local
  };
}

/** The same for an earlier rch (benches' RCH_BENCH_BASE): without the worker keys it does not
 * know, since an rch ignores a worker whose entry has unknown keys. */
export function baseRchEnv(fleet: Fleet): RchEnv {
  const e = rchEnv(fleet);
  const workers = join(e.dir, "config", "workers.toml");
  const newer = /^(min_free_gb|max_disk_gb|max_share) =/;
  const kept = readFileSync(workers, "utf8")
    .split("\n")
    .filter((l) => !newer.test(l));
  writeFileSync(workers, kept.join("\n"));
  return e;
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
