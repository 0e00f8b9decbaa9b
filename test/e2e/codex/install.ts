// Installs the real Codex CLI (@openai/codex) into the e2e cache outside the repository, once.
// The npm package is a small Node launcher plus the static binary in the per-platform
// optionalDependency (also from the npm registry): nothing else is downloaded. ~8 s, 424 MB.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { e2eCacheDir } from "../install.ts";
import { runProcess } from "../process.ts";

export const CODEX_VERSION = process.env.RCH_E2E_CODEX_VERSION ?? "0.171.0";

const launcher = (prefix: string) => join(prefix, "node_modules", ".bin", "codex");
const env = () => ({
  PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
});

async function works(prefix: string, version: string): Promise<boolean> {
  if (!existsSync(launcher(prefix))) return false;
  // `codex --version` writes under CODEX_HOME: point it at the prefix, never at ~/.codex.
  const r = await runProcess([launcher(prefix), "--version"], {
    env: { ...env(), CODEX_HOME: join(prefix, ".codex-home") },
    timeoutMs: 30_000,
  });
  return r.exitCode === 0 && r.stdout.includes(version);
}

let pending: Promise<string> | undefined;

/** The launcher of a working Codex CLI of the pinned version. Concurrent callers (several test
 * files) share one install; a half-finished one is never picked up (staging dir + rename). */
export function ensureCodex(version = CODEX_VERSION): Promise<string> {
  pending ??= install(version).catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

async function install(version: string): Promise<string> {
  const cache = e2eCacheDir();
  const prefix = join(cache, `codex-${version}`);
  if (await works(prefix, version)) return launcher(prefix);
  mkdirSync(cache, { recursive: true });
  const staging = join(cache, `.codex-${version}.${process.pid}.${Date.now()}`);
  mkdirSync(staging);
  try {
    const spec = `@openai/codex@${version}`;
    const r = await runProcess(
      ["npm", "install", "--prefix", staging, "--no-audit", "--no-fund", "--loglevel=error", spec],
      { env: { ...process.env } as Record<string, string>, timeoutMs: 300_000 },
    );
    if (r.exitCode !== 0)
      throw new Error(`npm install ${spec}: ${r.timedOut ? "timed out" : `exit ${r.exitCode}`}\n${r.stderr}`);
    if (await works(prefix, version))
      rmSync(staging, { recursive: true, force: true }); // another process won
    else {
      rmSync(prefix, { recursive: true, force: true });
      renameSync(staging, prefix);
    }
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (!(await works(prefix, version)))
    throw new Error(`${launcher(prefix)} --version did not report ${version}`);
  return launcher(prefix);
}
