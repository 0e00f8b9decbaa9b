// The daemon's log: one human-readable line per event on stderr (a background daemon's stderr is
// its log file). `rch daemon logs` shows these lines as they are.
export type LogLevel = "error" | "warn" | "info" | "debug";

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  level: LogLevel;
  /** Whether a message at this level would be written (skip building costly messages). */
  enabled(at: LogLevel): boolean;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** Writes buffered lines now (before exit). */
  flush(): void;
}

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
  );
}

/** Lines are collected and written together this often: a write per line would be a syscall
 * per job on the daemon's busiest path. */
const FLUSH_MS = 25;

export function createLogger(
  level: LogLevel,
  write: (text: string) => void = (t) => process.stderr.write(t),
): Logger {
  let buffered: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (buffered.length === 0) return;
    const text = buffered.join("");
    buffered = [];
    write(text);
  };
  const log = (at: LogLevel) => (msg: string) => {
    if (rank[at] > rank[logger.level]) return;
    buffered.push(`${stamp(new Date())} ${at.toUpperCase().padEnd(5)} ${msg}\n`);
    if (at === "error") flush();
    else timer ??= setTimeout(flush, FLUSH_MS);
  };
  const logger: Logger = {
    level,
    enabled: (at) => rank[at] <= rank[logger.level],
    error: log("error"),
    warn: log("warn"),
    info: log("info"),
    debug: log("debug"),
    flush,
  };
  return logger;
}
