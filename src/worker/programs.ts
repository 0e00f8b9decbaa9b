// The worker-side programs, embedded in the rch binary at build time (sendable.ts, through a Bun
// macro). Each is sent whole as the script of one `sh -c` over ssh (src/ssh/remote.ts): nothing
// is installed on a worker.
import { sendableFile } from "./sendable.ts" with { type: "macro" };

/** Runs one build in a project copy (contract: the header of run.sh). */
export const RUN_PROGRAM: string = sendableFile("run.sh");

/** Reports the worker's OS, CPUs and tool versions (probe.sh). */
export const PROBE_PROGRAM: string = sendableFile("probe.sh");

/** The remote end of the in-tree files' pull: rsync's server, then the list's removal (pull.sh). */
export const PULL_PROGRAM: string = sendableFile("pull.sh");

/** The remote end of a cargo profile dir's push: rsync's server under cargo's lock (seed.sh). */
export const SEED_PROGRAM: string = sendableFile("seed.sh");

/** rchd's heartbeat: the worker's free disk space and whether it has flock(1) (heartbeat.sh). */
export const HEARTBEAT_PROGRAM: string = sendableFile("heartbeat.sh");

/** The garbage collector of one remote_root: plan, census or run (contract: gc.sh's header). */
export const GC_PROGRAM: string = sendableFile("gc.sh");
/** Counts the worker's held slots, names their holders and the workstations waiting (slots.sh). */
export const SLOTS_PROGRAM: string = sendableFile("slots.sh");
/** The worker's end of `rch toolchain sync`: facts, verify, place (toolchain-sync.sh). */
export const TOOLCHAIN_SYNC_PROGRAM: string = sendableFile("toolchain-sync.sh");
/** The worker's toolchain identities, OS/arch and libc (toolchains.sh). */
export const TOOLCHAINS_PROGRAM: string = sendableFile("toolchains.sh");
