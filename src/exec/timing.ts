// TimingStore in one small JSON file under the state dir, until the daemon's SQLite history
// replaces it. Durations are exponential moving averages per (project, kind); writes are atomic
// (tmp + rename) and a corrupt or unreadable file is treated as empty.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "../config/paths.ts";
import type { CommandKind, TimingStats, TimingStore } from "./selector.ts";

const ALPHA = 0.3; // weight of the newest sample
const MAX_ENTRIES = 2000;

interface Entry extends TimingStats {
  at: number;
}
type Table = Record<string, Entry>;

export class JsonTimingStore implements TimingStore {
  constructor(private readonly file = join(stateDir(), "timings.json")) {}

  private read(): Table {
    try {
      const data = JSON.parse(readFileSync(this.file, "utf8")) as unknown;
      return data && typeof data === "object" && !Array.isArray(data) ? (data as Table) : {};
    } catch {
      return {};
    }
  }

  private write(table: Table): void {
    const keys = Object.keys(table);
    if (keys.length > MAX_ENTRIES) {
      keys.sort((a, b) => (table[a]?.at ?? 0) - (table[b]?.at ?? 0));
      for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete table[k];
    }
    mkdirSync(join(this.file, ".."), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(table));
    renameSync(tmp, this.file);
  }

  async get(projectRoot: string, kind: CommandKind): Promise<TimingStats> {
    const e = this.read()[key(projectRoot, kind)];
    const out: TimingStats = {};
    if (typeof e?.localMs === "number") out.localMs = e.localMs;
    if (typeof e?.remoteMs === "number") out.remoteMs = e.remoteMs;
    return out;
  }

  async record(projectRoot: string, kind: CommandKind, where: "local" | "remote", ms: number): Promise<void> {
    try {
      const table = this.read();
      const k = key(projectRoot, kind);
      const e: Entry = table[k] ?? { at: 0 };
      const field = where === "local" ? "localMs" : "remoteMs";
      const prev = e[field];
      e[field] = prev === undefined ? ms : ALPHA * ms + (1 - ALPHA) * prev;
      e.at = Date.now();
      table[k] = e;
      this.write(table);
    } catch {
      // history is an optimisation: never fail a build over it
    }
  }
}

function key(projectRoot: string, kind: CommandKind): string {
  return `${projectRoot}\t${kind}`;
}
