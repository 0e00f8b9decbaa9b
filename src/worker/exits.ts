// Why a remote build did not start, by the exit status of its ssh session before run.sh printed
// its start marker: run.sh's reserved codes (EXIT_* at its top; they must match this table) and
// ssh's own 255. Any other status there (the login shell broke, a signal) counts as setup-failed.
// For each: whether a full rsync may fix it (rch then tries once more), and the line rch prints
// when it runs the build locally instead.

export interface NotStartedContext {
  worker: string;
  /** argv[0] of the build. */
  tool: string;
  /** What ssh or the remote shell said (see remoteRun's classify). */
  detail: string;
}

interface Entry {
  code: number;
  why: string;
  resync: boolean;
  reason(c: NotStartedContext): string;
}

const couldNotStart = (c: NotStartedContext) => `could not start on ${c.worker}: ${c.detail}`;

export const NOT_STARTED = [
  {
    code: 211,
    why: "needs-sync",
    resync: true,
    reason: (c) => `the copy on ${c.worker} is still not current after a sync`,
  },
  { code: 212, why: "setup-failed", resync: false, reason: couldNotStart },
  {
    code: 213,
    why: "tool-missing",
    resync: false,
    reason: (c) => `${c.tool} is not installed on ${c.worker}`,
  },
  { code: 214, why: "install-failed", resync: false, reason: (c) => `bun install failed on ${c.worker}` },
  { code: 215, why: "inline-sync-failed", resync: true, reason: couldNotStart },
  {
    code: 216,
    why: "copy-busy",
    resync: false,
    reason: (c) =>
      `the copy of this project on ${c.worker} stayed busy with another build (another workstation's, or one its rch daemon lost track of)`,
  },
  {
    code: 217,
    why: "worker-full",
    resync: false,
    reason: (c) => `${c.worker} is full: ${c.detail}`,
  },
  {
    code: 210,
    why: "same-path-failed",
    resync: false,
    reason: (c) => `could not run at the project's own path on ${c.worker} (${c.detail}); running it mapped`,
  },
  { code: 255, why: "ssh-failed", resync: false, reason: (c) => `ssh to ${c.worker} failed: ${c.detail}` },
] as const satisfies readonly Entry[];

export type NotStartedWhy = (typeof NOT_STARTED)[number]["why"];
type NotStarted = (typeof NOT_STARTED)[number];

const byCode = new Map<number, NotStarted>(NOT_STARTED.map((e) => [e.code, e]));
const byWhy = new Map<NotStartedWhy, NotStarted>(NOT_STARTED.map((e) => [e.why, e]));

/** The meaning of a session's exit status when the build never started. */
export function notStartedWhy(code: number): NotStartedWhy {
  return byCode.get(code)?.why ?? "setup-failed";
}

/** The status run.sh (or ssh) exits with for this reason. */
export function exitCodeOf(why: NotStartedWhy): number {
  return byWhy.get(why)!.code;
}

/** A full rsync may make the copy usable: worth one more try before running locally. */
export function resyncMayHelp(why: NotStartedWhy): boolean {
  return byWhy.get(why)!.resync;
}

/** The fallback line's reason. */
export function notStartedReason(why: NotStartedWhy, c: NotStartedContext): string {
  return byWhy.get(why)!.reason(c);
}
