// cargo's state after a local build, sent ahead to the worker (README: "State that round-trips").
// target/ never syncs up with the project (builds on one copy share it, under cargo's own lock),
// so after a local `cargo build` of a change the worker's next build would compile again what
// the local one just compiled. In same-path mode the local target dir is valid on the worker as
// it is (same paths, and selection has matched the toolchain), so a profile dir the local side
// changed since rch last left it is sent up before the build, and cargo there finds it Fresh.
//
// "Changed" is told by a few stats, not a walk: every compilation renames its outputs into the
// profile's deps/ (and links binaries into the profile dir), which moves those dirs' mtimes; a
// build with nothing to do moves none (measured with cargo 1.95). A missed change costs only a
// recompilation on the worker, as before; a false one, an rsync that finds little to send.
import { readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { WorkerConfig } from "../config/schema.ts";
import { run } from "../ssh/proc.ts";
import { isInsideDir } from "../transfer/inside.ts";
import { type RsyncCommon, seedArgv } from "../transfer/rsync.ts";
import type { ExecPlan } from "./plan.ts";
import type { ExecReporter } from "./report.ts";

/** cargo's profile dirs in a target dir (relative to it): the ones holding its .cargo-lock, at
 * the top (debug, release, a custom profile) or under a target triple (x86_64-…/debug). */
export function profileDirs(target: string): string[] {
  const out: string[] = [];
  for (const top of subdirs(target)) {
    if (isFile(join(target, top, ".cargo-lock"))) out.push(top);
    else
      for (const sub of subdirs(join(target, top)))
        if (isFile(join(target, top, sub, ".cargo-lock"))) out.push(`${top}/${sub}`);
  }
  return out;
}

/** Changes whenever cargo compiled something into `dir` (see the top of this file). */
export function profileSig(dir: string): string {
  return ["", "deps", "build", ".fingerprint"].map((d) => mtime(join(dir, d))).join(":");
}

/** Each profile dir of the plan's seed dir (relative to the project root) with its signature. */
export function seedState(plan: Pick<ExecPlan, "root" | "family">): Record<string, string> {
  const target = plan.family.seedDir;
  const state: Record<string, string> = {};
  if (!target) return state;
  for (const p of profileDirs(target)) {
    const dir = join(target, p);
    // A profile dir that is a symlink out of the project is not the project's to send.
    if (!insideReal(plan.root, dir)) continue;
    state[relative(plan.root, dir)] = profileSig(dir);
  }
  return state;
}

function insideReal(root: string, dir: string): boolean {
  try {
    return isInsideDir(realpathSync(root), realpathSync(dir));
  } catch {
    return false;
  }
}

export interface SeedInput {
  plan: ExecPlan;
  worker: WorkerConfig;
  remoteDir: string;
  rsync: RsyncCommon;
  /** Signatures as rch last left the profile dirs here (sync record); absent: never. */
  seeds: Record<string, string> | undefined;
  report: ExecReporter;
}

/** Sends up every profile dir whose signature moved. Never fails the build: a dir not sent is
 * only compiled again on the worker, and the verbose output says why. */
export async function seedWorker(inp: SeedInput): Promise<void> {
  const { plan, report } = inp;
  if (!plan.config.exec.seed_target) return;
  for (const [rel, sig] of Object.entries(seedState(plan))) {
    if (inp.seeds?.[rel] === sig) continue;
    const argv = seedArgv(
      inp.rsync,
      join(plan.root, rel),
      inp.remoteDir,
      `${inp.remoteDir}/${rel}`,
      plan.config.daemon.slot_wait_ms / 1000,
      plan.family.pullExcludes ?? [],
    );
    const r = await run(argv, {
      timeoutMs: inp.rsync.timeoutMs + plan.config.daemon.slot_wait_ms,
      ...(inp.rsync.signal ? { signal: inp.rsync.signal } : {}),
    });
    if (r.code === 0)
      report.detail(`seed: ${rel} changed here, sent to ${inp.worker.id} in ${Math.round(r.ms)} ms`);
    else report.detail(`seed: ${rel} changed here, not sent (${whyNot(r.code, r.stderr, r.timedOut)})`);
  }
}

function whyNot(code: number, stderr: string, timedOut: boolean): string {
  if (timedOut) return "timed out";
  // The worker's reason (seed.sh) first, before rsync's own account of the ended session: rsync
  // may end with the remote status, and 75 from there means the worker's cargo, not ours.
  const lines = stderr.trim().split("\n");
  const ours = lines.findLast((l) => l.startsWith("rch: "));
  if (ours) return ours.slice(5);
  if (code === 75) return "a cargo here is building in it";
  return lines.at(-1) || `exit ${code}`;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function mtime(p: string): string {
  try {
    return String(statSync(p).mtimeMs);
  } catch {
    return "-";
  }
}
