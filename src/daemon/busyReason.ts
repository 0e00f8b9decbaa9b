// Why a build found no slot, in the words its local run gives: the workers whose toolchains are
// not known yet (naming a failed probe), the workers other workstations fill, or plain "busy".
// Pure: the fleet's states and the clock are passed in.
import { ineligible, TOOLCHAINS_PENDING } from "../protocol/eligible.ts";
import { fullReason } from "../protocol/holders.ts";
import type { JobSpec } from "../protocol/requests.ts";
import type { WorkerState } from "./fleet.ts";
import { fullOfOthers } from "./share.ts";

export function busyReason(
  workers: readonly WorkerState[],
  spec: JobSpec,
  waitedMs: number | undefined,
  now: number,
): string {
  const eligible = workers.filter((st) => ineligible(st, spec) === undefined);
  if (eligible.length === 0) {
    const pending = workers.filter((st) => ineligible(st, spec) === TOOLCHAINS_PENDING);
    if (pending.length) {
      const failed = pending.flatMap((st) =>
        st.toolchains?.toolsError ? [`${st.config.id}: ${st.toolchains.toolsError}`] : [],
      );
      const why = failed.length ? ` (${failed.join("; ")})` : "";
      return `the toolchains of ${pending.map((st) => st.config.id).join(", ")} are not known yet${why}`;
    }
  }
  const full = fullOfOthers(eligible, now);
  if (full.length) return fullReason(full);
  return waitedMs === undefined
    ? "all eligible workers are busy"
    : `all eligible workers stayed busy for ${waitedMs} ms`;
}
