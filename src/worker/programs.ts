// The worker-side programs, embedded in the rch binary at build time (Bun text imports). Each is
// sent whole as the script of one `sh -c` over ssh (src/ssh/remote.ts): nothing is installed on a
// worker.
import gc from "./gc.sh" with { type: "text" };
import heartbeat from "./heartbeat.sh" with { type: "text" };
import probe from "./probe.sh" with { type: "text" };
import pull from "./pull.sh" with { type: "text" };
import run from "./run.sh" with { type: "text" };
import seed from "./seed.sh" with { type: "text" };
import slots from "./slots.sh" with { type: "text" };
import toolchainSync from "./toolchain-sync.sh" with { type: "text" };
import toolchains from "./toolchains.sh" with { type: "text" };

/**
 * The program as sent: without its comment-only and blank lines, which are for the people reading
 * the file. run.sh is 14.3 KB with them and 5.4 KB without (at the time of writing), sent and
 * parsed on every build; dash spent ~0.2 ms less CPU per run on the shorter text (measured here). This is only safe because no line inside a
 * multi-line string starts with `#` or is blank (test/worker checks that bash reads both texts
 * as the same program).
 */
export function sendable(program: string): string {
  return program
    .split("\n")
    .filter((line) => !/^\s*(#|$)/.test(line))
    .map((line) => `${line}\n`)
    .join("");
}

/** Runs one build in a project copy (contract: the header of run.sh). */
export const RUN_PROGRAM: string = sendable(run);

/** Reports the worker's OS, CPUs and tool versions (probe.sh). */
export const PROBE_PROGRAM: string = sendable(probe);

/** The remote end of the in-tree files' pull: rsync's server, then the list's removal (pull.sh). */
export const PULL_PROGRAM: string = sendable(pull);

/** The remote end of a cargo profile dir's push: rsync's server under cargo's lock (seed.sh). */
export const SEED_PROGRAM: string = sendable(seed);

/** rchd's heartbeat: the worker's free disk space and whether it has flock(1) (heartbeat.sh). */
export const HEARTBEAT_PROGRAM: string = sendable(heartbeat);

/** The garbage collector of one remote_root: plan, census or run (contract: gc.sh's header). */
export const GC_PROGRAM: string = sendable(gc);
/** Counts the worker's held slots, names their holders and the workstations waiting (slots.sh). */
export const SLOTS_PROGRAM: string = sendable(slots);
/** The worker's end of `rch toolchain sync`: facts, verify, place (toolchain-sync.sh). */
export const TOOLCHAIN_SYNC_PROGRAM: string = sendable(toolchainSync);
/** The worker's toolchain identities, OS/arch and libc (toolchains.sh). */
export const TOOLCHAINS_PROGRAM: string = sendable(toolchains);
