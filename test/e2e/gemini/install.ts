// Installs the real Gemini CLI (a pure-JavaScript bundle, ~100 MB, ~12 s from npm) into the e2e
// cache outside the repository, once. The install goes to a private staging prefix renamed into
// place, so several test files may race and none ever sees half an install.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { e2eCacheDir } from "../install.ts";
import { runProcess } from "../process.ts";

export const GEMINI_CLI_VERSION = process.env.RCH_E2E_GEMINI_VERSION ?? "0.61.0";

/** Gemini CLI needs node >= 20; the tests run it with the node on PATH. */
export const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

function binIn(prefix: string): string {
  return join(prefix, "node_modules", ".bin", "gemini");
}

async function reportsVersion(bin: string, scratchHome: string): Promise<boolean> {
  // Even --version writes under ~/.gemini, hence a throwaway GEMINI_CLI_HOME.
  const r = await runProcess([bin, "--version"], {
    env: { PATH: BASE_PATH, HOME: scratchHome, GEMINI_CLI_HOME: scratchHome, GEMINI_CLI_NO_RELAUNCH: "true" },
    timeoutMs: 60_000,
  });
  return r.exitCode === 0 && r.stdout.includes(GEMINI_CLI_VERSION);
}

let pending: Promise<string> | undefined;

/** The absolute path of a working `gemini` of the pinned version. */
export function ensureGemini(): Promise<string> {
  pending ??= doEnsure().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

/** Gemini CLI's engines field says node >= 20; an older node fails in obscure ways, so say so. */
async function checkNode(): Promise<void> {
  const r = await runProcess(["node", "--version"], { env: { PATH: BASE_PATH }, timeoutMs: 30_000 });
  const major = Number(/^v(\d+)\./.exec(r.stdout.trim())?.[1] ?? 0);
  if (major < 20)
    throw new Error(`Gemini CLI needs node >= 20 on ${BASE_PATH}; found ${r.stdout.trim() || "none"}`);
}

async function doEnsure(): Promise<string> {
  await checkNode();
  const cache = e2eCacheDir();
  const prefix = join(cache, `gemini-${GEMINI_CLI_VERSION}`);
  const probeHome = join(cache, `.gemini-probe.${process.pid}`);
  mkdirSync(probeHome, { recursive: true });
  try {
    if (existsSync(binIn(prefix)) && (await reportsVersion(binIn(prefix), probeHome))) return binIn(prefix);
    const staging = join(cache, `.gemini-${GEMINI_CLI_VERSION}.${process.pid}.${Date.now()}`);
    mkdirSync(staging, { recursive: true });
    try {
      const spec = `@google/gemini-cli@${GEMINI_CLI_VERSION}`;
      const r = await runProcess(
        ["npm", "install", "--prefix", staging, "--no-audit", "--no-fund", "--loglevel=error", spec],
        { env: { ...process.env } as Record<string, string>, timeoutMs: 300_000 },
      );
      if (r.timedOut || r.exitCode !== 0)
        throw new Error(
          `npm install ${spec} ${r.timedOut ? "timed out" : `exited ${r.exitCode}`}\n${r.stderr}`,
        );
      if (existsSync(binIn(prefix))) rmSync(staging, { recursive: true, force: true });
      else {
        rmSync(prefix, { recursive: true, force: true });
        renameSync(staging, prefix);
      }
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    if (!(await reportsVersion(binIn(prefix), probeHome)))
      throw new Error(`${binIn(prefix)} --version did not report ${GEMINI_CLI_VERSION}`);
    return binIn(prefix);
  } finally {
    rmSync(probeHome, { recursive: true, force: true });
  }
}
