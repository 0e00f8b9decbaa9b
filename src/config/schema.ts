// The shape of rch's configuration: one schema per key, so a bad value costs only that key
// (it falls back to its default) and the error can name exactly which key was wrong.
import * as v from "valibot";
import { DEFAULT_CONFIDENCE_THRESHOLD } from "./paths.ts";

const bool = v.boolean();
const str = v.pipe(v.string(), v.minLength(1, "must not be empty"));
const strList = v.array(v.string());
/** A string whose "" means "the default" (as the README's config example writes it). */
const strOrDefault = v.string();
const nonNegInt = v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(0));
const posInt = v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1));
/** Sizes and durations that may be fractional (`min_free_gb = 0.02` on a small test disk). */
const nonNeg = v.pipe(v.number(), v.minValue(0));
const positive = v.pipe(v.number(), v.gtValue(0, "must be more than 0"));

export const sectionSchemas = {
  general: {
    enabled: bool,
    log_level: v.picklist(["error", "warn", "info", "debug"]),
    /** "" (the default) means <cache dir>/rch.sock, so RCH_CACHE_DIR / XDG_CACHE_HOME move it too. */
    socket_path: strOrDefault,
    preferred_workers: strList,
    /** How this workstation is named to workers it shares with others ("" = the host name). */
    client_name: strOrDefault,
  },
  compilation: {
    confidence_threshold: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
    min_local_time_ms: nonNegInt,
    remote_speedup_threshold: v.pipe(v.number(), v.minValue(0)),
  },
  transfer: {
    compression_level: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(19)),
    exclude_patterns: strList,
    include_patterns: strList,
  },
  output: {
    // Output is always streamed live, as a local build's would be; "buffered" and "summary" (from
    // the original product description) would change what the agent sees, so they are refused.
    stream_mode: v.picklist(["realtime"]),
    preserve_colors: bool,
    max_latency_ms: nonNegInt,
  },
  ssh: {
    connect_timeout_s: posInt,
    server_alive_interval_s: posInt,
    control_persist_s: nonNegInt,
    strict_host_key_checking: v.picklist(["accept-new", "yes"]),
  },
  exec: {
    /** Extra environment variable names passed to the worker besides the built-in allowlist. */
    env_allowlist: strList,
    /** Upper bound for bringing artifacts back, after which rch exits with its own code. */
    artifact_timeout_s: posInt,
    /** From this many files in the project, a same-path build's in-tree changes are learnt from an
     * overlay instead of a walk of the worker's copy (src/worker/run.sh; README "How rch knows what
     * changed"). */
    overlay_min_files: nonNegInt,
    /** Same-path cargo builds: send up the profile dirs of the target dir a local build changed
     * since rch last left them, so the worker does not compile that again (src/exec/seed.ts). */
    seed_target: bool,
  },
  daemon: {
    heartbeat_interval_s: posInt,
    circuit_failure_threshold: posInt,
    circuit_cooldown_s: posInt,
    slot_wait_ms: nonNegInt,
    metrics_port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)),
    history_max_jobs: posInt,
  },
  /** Disk hygiene on the workers (src/worker/gc.sh). Sizes in GB are GiB (1024³ bytes). */
  gc: {
    /** The daemon collects on its own: when a worker is short of space or over its budget, and
     * once a day in a quiet moment. false: only `rch workers gc` does. */
    auto: bool,
    /** Copies used this recently are never removed, unless free space is below critical. */
    keep_recent_h: nonNeg,
    critical_free_gb: nonNeg,
    /** Collect this much beyond each goal (a low watermark), at most a tenth of the disk. */
    gc_headroom_gb: nonNeg,
    /** Copies idle this long lose their cargo incremental dirs before any copy is removed. */
    trim_incremental_after_d: nonNeg,
    /** How often the daemon measures each worker's copies (du -sk: seconds on a big disk). */
    census_interval_h: positive,
    /** Free space a build of a project with no copy on the worker is assumed to need, when no
     * census knows the project's size. */
    new_copy_reserve_gb: nonNeg,
  },
} as const;

export type SectionName = keyof typeof sectionSchemas;
type Out<S> = S extends v.GenericSchema<unknown, infer O> ? O : never;
export type Config = {
  [S in SectionName]: {
    -readonly [K in keyof (typeof sectionSchemas)[S]]: Out<(typeof sectionSchemas)[S][K]>;
  };
} & { environment: Record<string, string> };

export function defaultConfig(): Config {
  return {
    general: {
      enabled: true,
      log_level: "info",
      socket_path: "",
      preferred_workers: [],
      client_name: "",
    },
    compilation: {
      confidence_threshold: DEFAULT_CONFIDENCE_THRESHOLD,
      min_local_time_ms: 2000,
      remote_speedup_threshold: 1.2,
    },
    transfer: {
      compression_level: 3,
      exclude_patterns: ["target/", ".git/objects/", "node_modules/", "*.rlib", "*.rmeta"],
      include_patterns: [],
    },
    output: { stream_mode: "realtime", preserve_colors: true, max_latency_ms: 50 },
    ssh: {
      connect_timeout_s: 5,
      server_alive_interval_s: 5,
      control_persist_s: 600,
      strict_host_key_checking: "accept-new",
    },
    exec: { env_allowlist: [], artifact_timeout_s: 300, overlay_min_files: 20_000, seed_target: true },
    daemon: {
      heartbeat_interval_s: 30,
      circuit_failure_threshold: 3,
      circuit_cooldown_s: 30,
      slot_wait_ms: 10_000,
      metrics_port: 0,
      history_max_jobs: 10_000,
    },
    gc: {
      auto: true,
      keep_recent_h: 2,
      critical_free_gb: 2,
      gc_headroom_gb: 5,
      trim_incremental_after_d: 3,
      census_interval_h: 6,
      new_copy_reserve_gb: 2,
    },
    environment: {},
  };
}

/** Environment values are plain strings; names must be valid shell variable names. */
export const envName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a valid variable name"),
);

export const workerSchema = v.object({
  id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, . _ -")),
  host: str,
  user: v.optional(v.string()),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)), 22),
  identity_file: v.optional(v.string()),
  total_slots: v.optional(posInt, 8),
  priority: v.optional(v.pipe(v.number(), v.integer()), 100),
  tags: v.optional(strList, []),
  remote_root: v.optional(str, "~/.cache/rch/projects"),
  enabled: v.optional(bool, true),
  /** Free space to keep on the filesystem of remote_root: below it the worker gets no builds and
   * a GC starts. GiB; fractions allowed. */
  min_free_gb: v.optional(nonNeg, 10),
  /** Budget for everything rch keeps under remote_root (0: none), enforced by GC. GiB. */
  max_disk_gb: v.optional(nonNeg, 0),
  /** When other workstations share this worker: this one never holds more of its slots. */
  max_share: v.optional(posInt),
  /** "auto" (absent: the same): builds run at the project's own path where the worker allows
   * user and mount namespaces (same-path mode); "mapped": always at the copy's path. */
  path_mode: v.optional(v.picklist(["auto", "mapped"])),
});

export type WorkerConfig = v.InferOutput<typeof workerSchema>;
export const workerKeys = Object.keys(workerSchema.entries);
