// Runs the real Gemini CLI once, headless, against the mock: minimal environment, a HOME owned by
// the caller (where `rch hook install --agent gemini` wrote settings.json), a private TMPDIR,
// stdin from /dev/null, and a deadline that kills the whole process group.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runProcess } from "../process.ts";
import { BASE_PATH } from "./install.ts";
import type { FunctionResponse, MockGemini } from "./mock-gemini.ts";

/** What every test HOME needs besides the hook: API-key auth (the base URL alone selects an auth
 * type headless mode rejects) and no usage statistics (the only traffic off loopback). */
export const BASE_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  privacy: { usageStatisticsEnabled: false },
};

export function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export interface GeminiRunOptions {
  bin: string;
  mock: MockGemini;
  home: string;
  cwd: string;
  approvalMode: "default" | "yolo";
  /** Extra flags, e.g. `--policy FILE`. */
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface GeminiRun {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  responses: FunctionResponse[];
  offeredShell: boolean;
}

export async function runGemini(o: GeminiRunOptions): Promise<GeminiRun> {
  const tmp = mkdtempSync(join(tmpdir(), "rch-e2e-gemini-tmp-"));
  const since = o.mock.requestCount();
  try {
    const argv = [
      o.bin,
      "-p",
      "run it",
      "-o",
      "json",
      "-m",
      "gemini-2.5-pro",
      "--approval-mode",
      o.approvalMode,
    ];
    const env: Record<string, string> = {
      PATH: BASE_PATH,
      HOME: o.home,
      GEMINI_CLI_HOME: o.home,
      TMPDIR: tmp,
      TERM: "dumb",
      GOOGLE_GEMINI_BASE_URL: o.mock.url,
      GEMINI_API_KEY: "mock-key",
      GEMINI_CLI_TRUST_WORKSPACE: "true",
      // One Node process instead of a relaunched second one: shorter start-up.
      GEMINI_CLI_NO_RELAUNCH: "true",
      ...o.env,
    };
    const r = await runProcess([...argv, ...(o.args ?? [])], {
      cwd: o.cwd,
      env,
      timeoutMs: o.timeoutMs ?? 60_000,
    });
    return {
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      stdout: r.stdout,
      stderr: r.stderr,
      responses: o.mock.responses(since),
      offeredShell: o.mock.offeredShell(since),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function describeRun(run: GeminiRun): string {
  return JSON.stringify(
    { ...run, stdout: run.stdout.slice(0, 1500), stderr: run.stderr.slice(0, 3000) },
    null,
    2,
  );
}

/** The settings.json a test HOME ends up with, for assertions. */
export function readSettings(home: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(home, ".gemini", "settings.json"), "utf8")) as Record<string, unknown>;
}
