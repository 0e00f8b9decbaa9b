// The one place that decides who picks workers. Today: workers.toml, locally. The daemon issue
// swaps in its socket client here; nothing else in the exec pipeline changes.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { LocalSelector } from "./localSelector.ts";
import type { TimingStore, WorkerSelector } from "./selector.ts";
import { JsonTimingStore } from "./timing.ts";

export function createSelector(workers: readonly WorkerConfig[], config: Config): WorkerSelector {
  return new LocalSelector(workers, config.ssh);
}

export function createTimingStore(): TimingStore {
  return new JsonTimingStore();
}
