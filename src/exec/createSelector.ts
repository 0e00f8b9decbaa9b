// The one place that decides who picks workers: the local daemon (rchd), started on demand.
// When it cannot be reached after one start attempt, select() answers "local" (fail-open).
import { createDaemonSelector, type DaemonSelector } from "../protocol/client.ts";
import type { TimingStore, WorkerSelector } from "../protocol/selector.ts";

let shared: DaemonSelector | undefined;

function daemon(): DaemonSelector {
  shared ??= createDaemonSelector();
  return shared;
}

export function createSelector(): WorkerSelector {
  return daemon();
}

export function createTimingStore(): TimingStore {
  return daemon();
}

/** Closes the daemon connection so the process can exit (an open socket keeps it alive). */
export function closeSelector(): void {
  shared?.close();
  shared = undefined;
}
