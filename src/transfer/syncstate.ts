// What rch last synced to a worker's copy of a project: the local fingerprint and the sync id the
// remote copy was stamped with, plus a fingerprint per artifact dir as rch left it locally. One small
// JSON file per (worker, remote dir) under <cache>/sync/; a missing or corrupt file just means "sync".
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../config/paths.ts";

export interface SyncRecord {
  fingerprint: string;
  syncId: string;
  /** Per artifact dir (relative to the root): fingerprint of the local dir right after the last pull. */
  outputs?: Record<string, string>;
  /** Per cargo profile dir (relative to the root): its signature right after the last pull
   * (exec/seed.ts); one that moved since was changed here, and is sent up before a build. */
  seeds?: Record<string, string>;
  /** The state of rchd's live view ("<epoch>:<gen>") the copy holds: the next build asks only
   * for what changed after it. Absent: synced from a full scan. */
  view?: string;
}

function recordFile(key: string): string {
  const name = new Bun.CryptoHasher("sha256").update(key).digest("hex").slice(0, 32);
  return join(cacheDir(), "sync", `${name}.json`);
}

/** Identifies one remote copy: the same worker id on another host or user is another copy. */
export function syncKey(
  workerId: string,
  host: string,
  user: string | undefined,
  port: number,
  remoteDir: string,
): string {
  return JSON.stringify([workerId, host, user ?? "", port, remoteDir]);
}

export function readSyncRecord(key: string): SyncRecord | undefined {
  try {
    const data = JSON.parse(readFileSync(recordFile(key), "utf8")) as Partial<SyncRecord>;
    if (typeof data.fingerprint !== "string" || typeof data.syncId !== "string") return undefined;
    const rec: SyncRecord = { fingerprint: data.fingerprint, syncId: data.syncId };
    if (data.outputs && typeof data.outputs === "object") rec.outputs = data.outputs;
    if (data.seeds && typeof data.seeds === "object") rec.seeds = data.seeds;
    if (typeof data.view === "string") rec.view = data.view;
    return rec;
  } catch {
    return undefined;
  }
}

/** Atomic: a concurrent reader sees the old record or the new one, never half of one. */
export function writeSyncRecord(key: string, rec: SyncRecord): void {
  const file = recordFile(key);
  mkdirSync(join(cacheDir(), "sync"), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, file);
}

export function newSyncId(): string {
  return crypto.randomUUID().replace(/-/g, "").slice(0, 16);
}
