// RCH_* environment variables: the top configuration layer, plus per-run switches that are not
// configuration at all (forced worker, dry run…). Read at call time.
import type { Config } from "./schema.ts";
import type { ConfigIssue } from "./validate.ts";

const truthy = new Set(["1", "true", "yes", "on"]);
const falsy = new Set(["0", "false", "no", "off", ""]);

export function parseBool(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim().toLowerCase();
  if (truthy.has(s)) return true;
  if (falsy.has(s)) return false;
  return undefined;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  return parseBool(env[name]) === true;
}

export interface RuntimeSwitches {
  /** Force this worker id. */
  worker?: string;
  /** Restrict selection to these worker ids. */
  workers?: string[];
  /** RCH_TAGS=a,b: only workers carrying every one of these tags. */
  tags?: string[];
  dryRun: boolean;
  localOnly: boolean;
  bypass: boolean;
  verbose: boolean;
}

export function runtimeSwitches(env: NodeJS.ProcessEnv = process.env): RuntimeSwitches {
  const list = commaList(env.RCH_WORKERS);
  const tags = commaList(env.RCH_TAGS);
  const sw: RuntimeSwitches = {
    dryRun: flag(env, "RCH_DRY_RUN"),
    localOnly: flag(env, "RCH_LOCAL_ONLY"),
    bypass: flag(env, "RCH_BYPASS"),
    verbose: flag(env, "RCH_VERBOSE"),
  };
  if (env.RCH_WORKER?.trim()) sw.worker = env.RCH_WORKER.trim();
  if (list.length > 0) sw.workers = list;
  if (tags.length > 0) sw.tags = tags;
  return sw;
}

function commaList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

type Setter = (config: Config, raw: string) => string | undefined;

function numberSetter(
  apply: (c: Config, n: number) => void,
  check: (n: number) => boolean,
  what: string,
): Setter {
  return (config, raw) => {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || !check(n))
      return `must be ${what} (got ${JSON.stringify(raw)})`;
    apply(config, n);
    return undefined;
  };
}

const overrides: Record<string, Setter> = {
  RCH_ENABLED: (c, raw) => {
    const b = parseBool(raw);
    if (b === undefined) return `must be true or false (got ${JSON.stringify(raw)})`;
    c.general.enabled = b;
    return undefined;
  },
  RCH_COMPRESSION: numberSetter(
    (c, n) => {
      c.transfer.compression_level = n;
    },
    (n) => Number.isInteger(n) && n >= 0 && n <= 19,
    "a whole number from 0 to 19",
  ),
  RCH_CONFIDENCE_THRESHOLD: numberSetter(
    (c, n) => {
      c.compilation.confidence_threshold = n;
    },
    (n) => n >= 0 && n <= 1,
    "a number from 0 to 1",
  ),
  RCH_MIN_LOCAL_TIME_MS: numberSetter(
    (c, n) => {
      c.compilation.min_local_time_ms = n;
    },
    (n) => Number.isInteger(n) && n >= 0,
    "a whole number of milliseconds",
  ),
  RCH_SOCKET_PATH: (c, raw) => {
    if (!raw.trim()) return "must not be empty";
    c.general.socket_path = raw;
    return undefined;
  },
  RCH_LOG_LEVEL: (c, raw) => {
    if (!["error", "warn", "info", "debug"].includes(raw)) return "must be one of error, warn, info, debug";
    c.general.log_level = raw as Config["general"]["log_level"];
    return undefined;
  },
};

export const envOverrideNames = Object.keys(overrides);

export function applyEnvOverrides(config: Config, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): void {
  for (const [name, set] of Object.entries(overrides)) {
    const raw = env[name];
    if (raw === undefined) continue;
    const problem = set(config, raw);
    if (problem)
      issues.push({ file: "environment", key: name, message: problem, hint: "the variable is ignored" });
  }
}
