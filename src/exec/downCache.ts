// Remembers, for a short while, that a worker could not be reached, so the next builds do not
// each wait out ConnectTimeout on it. One tiny file per worker under <cache>/down/.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../config/paths.ts";

const DOWN_FOR_MS = 30_000;

function file(workerId: string): string {
  return join(cacheDir(), "down", workerId);
}

/** The failure reason if the worker failed within the last 30 s. */
export function recentlyDown(workerId: string): string | undefined {
  try {
    const f = file(workerId);
    if (Date.now() - statSync(f).mtimeMs > DOWN_FOR_MS) return undefined;
    return `${readFileSync(f, "utf8").trim()} (recently; retried after ${DOWN_FOR_MS / 1000} s)`;
  } catch {
    return undefined;
  }
}

/** Records a failure (reason) or clears it (undefined). Best effort. */
export function markDown(workerId: string, reason: string | undefined): void {
  try {
    if (reason === undefined) rmSync(file(workerId), { force: true });
    else {
      mkdirSync(join(cacheDir(), "down"), { recursive: true, mode: 0o700 });
      writeFileSync(file(workerId), reason);
    }
  } catch {
    // an optimisation only
  }
}
