// Assertions shared by the scenario files: "rch exec gave the agent exactly what a local run
// gives" (exit code, stdout, stderr, files), "it really ran on a worker", "it fell back, said
// why, and still gave the local result", and "nothing was left running on the workers".
import { afterAll, beforeAll, expect } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type Fleet, startFleet, type WorkerSpec } from "../bed/fleet.ts";
import { cleanUp } from "../support/cleanup.ts";
import { FALLBACK_RE, type NormalizeOptions, normalize, splitRchLines } from "./normalize.ts";
import { describeProcs, type Outcome, type ProcInfo, processes, waitEmpty } from "./proc.ts";
import { rchBinary } from "./rchbin.ts";
import { disposeAll, type Scenario } from "./scenario.ts";
import { type DiffOptions, diffTrees, globs, type PathFilter, snapshot } from "./tree.ts";

export { Scenario } from "./scenario.ts";

/** One fleet per test file (starting one costs ~0.5 s; a suite file's scenarios share it). */
export function useFleet(specs: WorkerSpec[]): { readonly fleet: Fleet } {
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    // Build/check the binary first: a compile error in src/ should fail fast and visibly.
    await rchBinary();
    fleet = await startFleet({ workers: specs });
  }, 240_000);
  // Scenarios first (their rch processes, ControlMasters and dirs), then the fleet; each runs
  // even if the other throws.
  afterAll(() =>
    cleanUp(
      () => disposeAll(),
      () => fleet?.stop(),
    ),
  );
  return {
    get fleet(): Fleet {
      if (!fleet) throw new Error("fleet not started (beforeAll failed)");
      return fleet;
    },
  };
}

type Shown = { code: number; stdout: string; stderr: string };

function shown(o: Outcome, root: string, opts: Omit<NormalizeOptions, "root">, dropFallback: boolean): Shown {
  const stderr = dropFallback ? splitRchLines(o.stderr).rest : o.stderr;
  return {
    code: o.code,
    stdout: normalize(o.stdout, { root, ...opts }),
    stderr: normalize(stderr, { root, ...opts }),
  };
}

export interface SameOutputOptions extends Omit<NormalizeOptions, "root"> {
  /** The rch run is expected to have fallen back: its one `rch:` line is checked separately. */
  fellBack?: boolean;
}

/** Exit code, stdout and stderr of the rch run equal the local run's (after normalize()). */
export function expectSameOutput(sc: Scenario, rch: Outcome, local: Outcome, opts: SameOutputOptions = {}) {
  const { fellBack = false, ...norm } = opts;
  expect(rch.timedOut).toBe(false);
  expect(local.timedOut).toBe(false);
  expect(shown(rch, sc.rchDir, norm, fellBack)).toEqual(shown(local, sc.localDir, norm, false));
}

export interface TreeRules extends DiffOptions {
  /** Paths left out on both sides. */
  skip?: PathFilter;
}

const alwaysSkip = globs(".git", ".git/**");

/** The project copies hold the same files (see tree.ts for what "same" means). */
export function expectSameTree(sc: Scenario, rules: TreeRules = {}) {
  const skip = (rel: string) => alwaysSkip(rel) || (rules.skip?.(rel) ?? false);
  const diff = diffTrees(snapshot(sc.rchDir, skip), snapshot(sc.localDir, skip), rules);
  expect(diff).toEqual([]);
}

/** Per-family tree rules: what legitimately differs between two builds in two directories. */
export const TREE: Record<"cargo" | "make" | "cmake" | "meson" | "bun", TreeRules> = {
  // Incremental caches have random session names; ELF/rlib bytes embed the absolute build path;
  // .rustc_info.json is a cache of `rustc -vV` etc. serialised from a HashMap (random order).
  cargo: {
    skip: globs("target/*/incremental", "target/*/incremental/**"),
    contentMayDiffer: (rel, binary) =>
      (rel.startsWith("target/") && binary) || rel === "target/.rustc_info.json",
  },
  // gcc without -g on relative paths: objects and binary are byte-identical wherever built.
  make: {},
  // .ninja_log/.ninja_deps record mtimes, CMakeOutput.log random try-compile dir names; object
  // files use absolute source paths but carry no debug info, so they are byte-identical.
  cmake: {
    contentMayDiffer: (rel) =>
      ["build/.ninja_log", "build/.ninja_deps", "build/CMakeFiles/CMakeOutput.log"].includes(rel),
  },
  // meson builds with -g by default: objects and binaries carry the absolute build path. Its
  // configure state (meson-private/*.dat, pickles) embeds each copy's own root in binary form, and
  // meson-log.txt is a timestamped log of that configure: the test checks both stay untouched.
  meson: {
    contentMayDiffer: (rel, binary) =>
      (rel.startsWith("build/") && binary) ||
      ["build/.ninja_log", "build/.ninja_deps", "build/meson-logs/meson-log.txt"].includes(rel),
  },
  bun: {},
};

export function fallbackReason(o: Outcome): string | undefined {
  return FALLBACK_RE.exec(o.stderr)?.[1];
}

/** It ran on a worker: no fallback notice, the project copy exists in a worker's remote_root,
 * and the files the build makes exist there (returns that copy's directory). Other `rch:` notes
 * are not judged here: parity tests compare stderr exactly, which already forbids them. */
export function expectRanRemotely(sc: Scenario, o: Outcome, builtFiles: string[] = []): string {
  expect(fallbackReason(o), "rch fell back to a local run").toBeUndefined();
  const copy = sc.remoteCopy();
  expect(copy, "no copy of the project in any worker's remote_root").toBeDefined();
  for (const f of builtFiles) {
    expect(existsSync(join(copy!.dir, f)), `${f} in the worker's copy ${copy!.dir}`).toBe(true);
  }
  return copy!.dir;
}

/** Per-build files a finished build must not leave next to its copy on the worker: the in-tree
 * new-file list (`<copy>.rch-new-<nonce>`) and the start marks (`<copy>.rch-mark-<nonce>[.t]`). */
export function perBuildLeftovers(copyDir: string): string[] {
  const prefix = `${basename(copyDir)}.rch-`;
  return readdirSync(dirname(copyDir)).filter(
    (n) => n.startsWith(`${prefix}new-`) || n.startsWith(`${prefix}mark-`),
  );
}

/** It fell back: exactly one `rch: running locally: <why>` line, and <why> matches. */
export function expectFellBack(o: Outcome, why: RegExp = /./) {
  const lines = splitRchLines(o.stderr).rch;
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(FALLBACK_RE);
  expect(fallbackReason(o)).toMatch(why);
}

/** Processes of the workers' users other than sshd itself (listener, sessions, the master's
 * session): anything else is a build (or rsync) that outlived its `rch exec`. */
export function workerLeftovers(fleet: Fleet): ProcInfo[] {
  const uids = new Set(fleet.workers.map((w) => w.uid));
  return processes((p) => uids.has(p.uid) && !/^sshd/.test(p.comm));
}

export async function expectNoWorkerLeftovers(fleet: Fleet, withinMs: number) {
  const left = await waitEmpty(() => workerLeftovers(fleet), withinMs);
  expect(describeProcs(left)).toEqual([]);
}

/** Waits until the remote build reached its marker file (so a signal lands mid-build). */
export async function waitRemoteFile(sc: Scenario, rel: string, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    const copy = sc.remoteCopy();
    if (copy && existsSync(join(copy.dir, rel))) return true;
    await Bun.sleep(25);
  }
  return false;
}
