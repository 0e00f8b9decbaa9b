// rsync invocations: push the project up, pull artifact dirs back, pull a list of in-tree
// artifacts into a staging dir. All ride the worker's ssh master (-e with the same options).

import { diagnose } from "../ssh/diagnose.ts";
import { rsyncRsh, type SshTarget } from "../ssh/options.ts";
import { run } from "../ssh/proc.ts";
import { remoteCommand } from "../ssh/remote.ts";
import { PULL_PROGRAM, SEED_PROGRAM } from "../worker/programs.ts";
import { type FilterRule, rsyncFilterArgs } from "./rules.ts";

export type RsyncResult = { ok: true; ms: number; stats: string } | { ok: false; ms: number; reason: string };

export interface RsyncCommon {
  target: SshTarget;
  /** transfer.compression_level (RCH_COMPRESSION applied): 0 = none. */
  compressionLevel: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** `host:path`, with brackets around an IPv6 literal so rsync does not split at its colons. */
export function remoteSpec(t: SshTarget, path: string): string {
  const h = t.worker.host;
  return `${h.includes(":") ? `[${h}]` : h}:${path}`;
}

/**
 * rsync's quick check compares modification times in whole seconds by default, so a file written
 * twice within one second at the same size counted as up to date: not sent, and its mtime left as
 * it was. That happened to cargo's outputs when a local build and the worker's build of the same
 * change fell in one second (the next local cargo saw `app` older than `util` and rebuilt it), and
 * it could leave stale content in place behind an exit 0. -1 compares to the nanosecond (both ends
 * ≥ 3.1.3; a worker needs ≥ 3.2.3).
 */
export const EXACT_TIMES = "--modify-window=-1";

/** What every rsync to or from a worker starts with; `c.timeoutMs` and `c.signal` bound the run,
 * not the argv. */
export function baseArgs(c: Pick<RsyncCommon, "target" | "compressionLevel">): string[] {
  // No owner/group: files belong to whoever runs rch, as they would after a local build.
  // -s: paths travel inside the protocol, never through the remote shell.
  const args = [
    "rsync",
    "-a",
    "--no-owner",
    "--no-group",
    "-s",
    EXACT_TIMES,
    "--timeout=60",
    "-e",
    rsyncRsh(c.target),
  ];
  // Plain --compress negotiates the best codec both ends have (zstd between rsync ≥ 3.2 ends).
  if (c.compressionLevel > 0) args.push("--compress", `--compress-level=${c.compressionLevel}`);
  return args;
}

export function pushArgv(
  c: RsyncCommon,
  root: string,
  remoteDir: string,
  rules: readonly FilterRule[],
  stats = false,
): string[] {
  const args = [...baseArgs(c), "--delete", "--mkpath", ...rsyncFilterArgs(rules)];
  if (stats) args.push("--stats");
  return [...args, `${root}/`, remoteSpec(c.target, `${remoteDir}/`)];
}

/**
 * An artifact dir straight into place; symlinks leading out of the tree are dropped. stdout lists
 * each updated path (relative to the dir), one per line.
 */
export function pullDirArgv(
  c: RsyncCommon,
  remoteDir: string,
  rel: string,
  localDir: string,
  excludes: readonly string[] = [],
): string[] {
  return [
    ...baseArgs(c),
    "--safe-links",
    "--mkpath",
    "--hard-links", // cargo hard-links target/debug/app to deps/app-<hash>: send it once
    "--out-format=%n",
    ...excludes.map((p) => `--filter=- ${p}`),
    remoteSpec(c.target, `${remoteDir}/${rel}/`),
    `${localDir}/`,
  ];
}

/**
 * The files named (NUL-separated, relative to remoteDir) in a remote list file, into `stage`. The
 * remote rsync runs under src/worker/pull.sh, which removes the list once rsync has exited: the
 * list lives exactly as long as it is needed, and that costs no ssh session of its own.
 */
export function pullListArgv(c: RsyncCommon, remoteDir: string, remoteList: string, stage: string): string[] {
  return [
    ...baseArgs(c),
    // rsync appends its server arguments to this and ssh hands the line to the login shell:
    // remoteCommand quotes the list's path as a word.
    `--rsync-path=${remoteCommand(PULL_PROGRAM, [remoteList])}`,
    "--from0",
    `--files-from=:${remoteList}`,
    remoteSpec(c.target, `${remoteDir}/`),
    `${stage}/`,
  ];
}

/**
 * One of cargo's profile dirs up, under cargo's lock at both ends: here `flock -n` on the local
 * dir's .cargo-lock (a local cargo building now: exit 75, nothing sent, never a wait), there
 * src/worker/seed.sh waits for the copy's (exit 5 after waitS). No --delete: what the worker has
 * besides is cargo's to judge. `.cargo-lock` itself never travels (a new inode is a new lock).
 */
export function seedArgv(
  c: RsyncCommon,
  localDir: string,
  remoteCopy: string,
  remoteDir: string,
  waitS: number,
  excludes: readonly string[],
): string[] {
  return [
    "flock",
    "-n",
    "-E",
    "75",
    `${localDir}/.cargo-lock`,
    ...baseArgs(c),
    "--safe-links",
    "--hard-links",
    `--rsync-path=${remoteCommand(SEED_PROGRAM, [remoteCopy, remoteDir, String(Math.ceil(waitS))])}`,
    "--filter=- /.cargo-lock",
    ...excludes.map((p) => `--filter=- ${p}`),
    `${localDir}/`,
    remoteSpec(c.target, `${remoteDir}/`),
  ];
}

export async function runRsync(
  argv: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RsyncResult> {
  const r = await run(argv, signal ? { timeoutMs, signal } : { timeoutMs });
  if (r.code === 0) return { ok: true, ms: r.ms, stats: r.stdout };
  if (r.timedOut)
    return { ok: false, ms: r.ms, reason: `rsync timed out after ${Math.round(timeoutMs / 1000)} s` };
  return { ok: false, ms: r.ms, reason: describeRsyncFailure(r.stderr, r.code) };
}

/** The cause in rsync's or its ssh's words (ssh/diagnose.ts), marked as rsync's unless it is
 * a connection-level cause, which reads the same whoever met it. */
function describeRsyncFailure(stderr: string, code: number): string {
  const d = diagnose(stderr, code, "rsync");
  return d.level === "connection" || d.line.startsWith("rsync") ? d.line : `rsync: ${d.line}`;
}
