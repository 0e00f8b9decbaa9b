// Toolchain identity on the wire: what a build needs (computed by `rch exec`, src/toolchain/),
// what a worker has (src/worker/toolchains.sh, parsed by the daemon), and the one rule that
// matches them — exactly: cargo's fingerprints hash the whole `rustc -vV`, so any weaker match
// returns artifacts the next local build recompiles. Pure.
import * as v from "valibot";

const word = v.pipe(v.string(), v.maxLength(4096));

/** One tool the build runs by name (`gcc`) or by the absolute path a build dir recorded
 * (`/usr/bin/cc` in CMakeCache.txt): the worker's must have the same identity. */
const toolNeed = v.object({ tool: word, key: word, label: word });

export const toolchainNeed = v.object({
  /** `uname -sm` here: a worker of another OS/arch builds executables that cannot run here. */
  platform: word,
  /** This machine's C library, in toolchains.sh's words (`glibc 2.36`, `musl`): filled in by the
   * daemon, which runs here too and knows it without a process (src/daemon/libc.ts). */
  libc: v.optional(word),
  /** The Rust compiler's identity (rustIdentityKey) and how to name it in a reason line. */
  rust: v.optional(v.object({ key: word, label: word })),
  tools: v.optional(v.pipe(v.array(toolNeed), v.maxLength(64))),
});
export type ToolchainNeed = v.InferOutput<typeof toolchainNeed>;

export const workerRust = v.object({
  /** rustup: in the worker's rustup dir; rch: <remote_root>/.rch/toolchains; path: PATH's rustc. */
  kind: v.picklist(["rustup", "rch", "path"]),
  name: word,
  dir: word,
  key: word,
  /** `1.95.0 (59807616e 2026-04-14)`. */
  version: word,
});

export const workerToolchains = v.object({
  platform: word,
  libc: word,
  /** The worker session's PATH (an rch-synced toolchain's bin/ goes in front of it). */
  path: word,
  rust: v.array(workerRust),
  tools: v.array(v.object({ name: word, path: word, key: word })),
  /** The tools were probed (a second, slower step after the Rust toolchains). */
  toolsKnown: v.boolean(),
  /** When the daemon learned these (its clock). */
  at: v.number(),
  /** The probe failed: no build that needs a toolchain goes there until one succeeds. */
  error: v.optional(word),
  /** Only the tools half failed (the Rust half above is this probe's): builds that need a tool's
   * identity wait for the next probe, and the reason they give names this. */
  toolsError: v.optional(word),
});
export type WorkerToolchains = v.InferOutput<typeof workerToolchains>;
export type WorkerRust = v.InferOutput<typeof workerRust>;

/** Rust: prefer the PATH rustc (nothing to pin), then one rustup knows by name, then an rch-synced one. */
const KIND_ORDER = { path: 0, rustup: 1, rch: 2 } as const;

/** The worker toolchain a build needing `key` would be pinned to, if the worker has one. */
export function matchingRust(have: WorkerToolchains, key: string): WorkerRust | undefined {
  let best: WorkerRust | undefined;
  for (const r of have.rust) {
    if (r.key === key && (!best || KIND_ORDER[r.kind] < KIND_ORDER[best.kind])) best = r;
  }
  return best;
}

/** `1.95.0` from `1.95.0 (59807616e 2026-04-14)`: what a reason line names. */
function shortVersion(r: WorkerRust): string {
  return r.version.split(" ")[0] ?? r.version;
}

/** Why this worker cannot build what `need` asks for, or undefined when it can. */
export function toolchainMismatch(have: WorkerToolchains, need: ToolchainNeed): string | undefined {
  if (have.error) return `has unknown toolchains (${have.error})`;
  if (have.platform !== need.platform) return `is ${have.platform}, this machine is ${need.platform}`;
  const libc = need.libc === undefined ? undefined : libcMismatch(have.libc, need.libc);
  if (libc) return libc;
  if (need.rust && !matchingRust(have, need.rust.key)) {
    const versions = [...new Set(have.rust.map(shortVersion))];
    return versions.length ? `has rustc ${versions.join(", ")}` : "has no rustc";
  }
  for (const t of need.tools ?? []) {
    const found = have.tools.find((h) => h.name === t.tool || h.path === t.tool);
    if (!found) return `has no ${t.tool}`;
    if (found.key !== t.key) return `has ${toolWords(t.tool, found.key.split("|")[0] ?? "")}`;
  }
  return undefined;
}

/** What a build on this worker must have in its environment to run the matched toolchain and
 * nothing else: RUSTUP_TOOLCHAIN (rustup) or PATH (rch-synced), and never a rustup download. */
export function pinEnv(have: WorkerToolchains, need: ToolchainNeed): [string, string][] {
  if (!need.rust) return [];
  const pin: [string, string][] = [["RUSTUP_AUTO_INSTALL", "0"]];
  const r = matchingRust(have, need.rust.key);
  if (r?.kind === "rustup") pin.push(["RUSTUP_TOOLCHAIN", r.name]);
  // An rch-synced dir is a whole toolchain (relocatable: RUNPATH $ORIGIN/../lib): its bin/ first
  // on PATH gives the build its real cargo, which runs the rustc beside it on PATH — no proxy.
  if (r?.kind === "rch") pin.push(["PATH", `${r.dir}/bin:${have.path}`]);
  return pin;
}

/** `gcc (Debian 12.2.0-14) 12.2.0` for gcc's version line, which names the tool already;
 * `cmake cmake version 3.25.1` would say it twice, so a line that starts with the tool's name is
 * given alone, any other after the name. */
export function toolWords(tool: string, line: string): string {
  const name = tool.split("/").pop() ?? tool;
  return line.startsWith(`${name} `) ? line : `${tool} ${line}`;
}

const glibcVersion = (libc: string) => /^glibc (\d+)\.(\d+)/.exec(libc)?.slice(1).map(Number);

/**
 * What the build links against must run here: the same C library, and for glibc a version no
 * newer than this machine's (symbols are versioned: an executable linked against glibc 2.38 asks
 * for symbols 2.36 lacks; one linked against 2.31 runs on 2.36). A worker whose libc is unknown
 * (`-`) takes no build that needs a toolchain.
 */
export function libcMismatch(have: string, here: string): string | undefined {
  if (have === here) return undefined;
  if (have === "-") return "has a C library rch cannot identify";
  const [w, l] = [glibcVersion(have), glibcVersion(here)];
  if (!w || !l) return `has ${have}, this machine has ${here}`;
  const newer = w[0]! > l[0]! || (w[0] === l[0] && w[1]! > l[1]!);
  return newer
    ? `has ${have}, newer than this machine's ${here} (what it links may not run here)`
    : undefined;
}
