// Installs the real Claude Code CLI into a cache directory outside the repository, once.
//
// The CLI ships as a native binary in a per-platform optionalDependency of
// @anthropic-ai/claude-code; its postinstall hard-links that binary over a shell stub at
// bin/claude.exe. Everything comes from the npm registry, so a fresh CI machine needs nothing else.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { runProcess } from "./process.ts";

/** The version the offline recipe (claude-code-e2e.md) was verified with. */
export const CLAUDE_CODE_VERSION = process.env.RCH_E2E_CLAUDE_VERSION ?? "2.1.328";

export function e2eCacheDir(): string {
  return process.env.RCH_E2E_CACHE ?? "/tmp/rch-e2e-cache";
}

// The real binary is ~370 MB; the placeholder stub is ~500 bytes. Anything under 1 MB is a stub.
const MIN_REAL_BINARY_BYTES = 1_000_000;

function isRealBinary(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.size >= MIN_REAL_BINARY_BYTES;
  } catch {
    return false;
  }
}

/** The native binary inside an npm prefix, or null when the install is missing or only a stub. */
function findBinary(prefix: string): string | null {
  const scope = join(prefix, "node_modules", "@anthropic-ai");
  const main = join(scope, "claude-code", "bin", "claude.exe");
  if (isRealBinary(main)) return main;
  // Postinstall skipped (--ignore-scripts, npm allowScripts policy): run the platform package's
  // binary directly instead of the stub.
  let entries: string[] = [];
  try {
    entries = readdirSync(scope);
  } catch {
    return null;
  }
  for (const name of entries) {
    if (!name.startsWith("claude-code-")) continue;
    const candidate = join(scope, name, "claude");
    if (isRealBinary(candidate)) return candidate;
  }
  return null;
}

async function checkVersion(bin: string, version: string): Promise<boolean> {
  const r = await runProcess([bin, "--version"], { timeoutMs: 30_000, env: minimalEnv() });
  return r.exitCode === 0 && r.stdout.includes(version);
}

function minimalEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
}

export interface EnsureClaudeOptions {
  cacheDir?: string;
  version?: string;
  /** Budget for `npm install` (the binary is ~370 MB). */
  timeoutMs?: number;
}

let pending: Promise<string> | undefined;

/**
 * Returns the absolute path of a working `claude` binary of the pinned version, installing it
 * under `<cache>/claude-<version>` when absent. Safe to call from several test files: the install
 * goes to a private temporary prefix that is renamed into place, so a half-finished install is
 * never picked up.
 */
export function ensureClaude(opts: EnsureClaudeOptions = {}): Promise<string> {
  pending ??= doEnsure(opts).catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function doEnsure(opts: EnsureClaudeOptions): Promise<string> {
  const version = opts.version ?? CLAUDE_CODE_VERSION;
  const cache = opts.cacheDir ?? e2eCacheDir();
  const prefix = join(cache, `claude-${version}`);

  const existing = findBinary(prefix);
  if (existing && (await checkVersion(existing, version))) return existing;

  mkdirSync(cache, { recursive: true });
  const staging = join(cache, `.claude-${version}.${process.pid}.${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  try {
    const spec = `@anthropic-ai/claude-code@${version}`;
    const r = await runProcess(
      ["npm", "install", "--prefix", staging, "--no-audit", "--no-fund", "--loglevel=error", spec],
      { timeoutMs: opts.timeoutMs ?? 300_000, env: { ...process.env } as Record<string, string> },
    );
    if (r.timedOut || r.exitCode !== 0) {
      throw new Error(
        `npm install ${spec} ${r.timedOut ? "timed out" : `exited ${r.exitCode}`}\n` +
          `${r.stdout}\n${r.stderr}`.trim(),
      );
    }
    await repairStub(staging);
    if (!findBinary(staging)) {
      throw new Error(`npm install ${spec} produced no native claude binary under ${staging}`);
    }
    // Another process may have won the race; its install is as good as ours.
    if (findBinary(prefix)) {
      rmSync(staging, { recursive: true, force: true });
    } else {
      rmSync(prefix, { recursive: true, force: true });
      renameSync(staging, prefix);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }

  const bin = findBinary(prefix);
  if (!bin) throw new Error(`claude binary missing under ${prefix} after install`);
  if (!(await checkVersion(bin, version))) {
    throw new Error(`${bin} --version did not report ${version}`);
  }
  return bin;
}

/** When npm skipped the postinstall, run it ourselves (it only links the platform binary). */
async function repairStub(prefix: string): Promise<void> {
  const pkg = join(prefix, "node_modules", "@anthropic-ai", "claude-code");
  if (isRealBinary(join(pkg, "bin", "claude.exe"))) return;
  const script = join(pkg, "install.cjs");
  if (!existsSync(script)) return;
  // Failure is tolerated: findBinary falls back to the platform package's binary.
  await runProcess(["node", script], {
    cwd: pkg,
    timeoutMs: 60_000,
    env: { ...process.env } as Record<string, string>,
  });
}
