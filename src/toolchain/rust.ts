// The local Rust toolchain of a cargo/rustc command: which toolchain dir it would run (rustup's
// choice, or the plain rustc PATH finds when rustup is not in use) and that compiler's identity
// (`rustc -vV`: release, commit hash, host), cached under the binary's stat (identityCache.ts).
// Used by `rch exec` (the build's requirement) and `rch toolchain sync` (what to ship).

import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { identityOf, toolOutput } from "./identityCache.ts";
import { type RustupSource, rustupToolchain } from "./rustup.ts";
import { realpathOr, whichCommand } from "./which.ts";

export interface RustIdentity {
  /** `1.95.0`, `1.97.0-nightly`. */
  release: string;
  /** Full commit hash, or "unknown" for a compiler built outside a git checkout. */
  commitHash: string;
  commitDate: string;
  /** `x86_64-unknown-linux-gnu`. */
  host: string;
  /** What `rustc -V` says after "rustc ": `1.97.0-nightly (e50aa6fba 2026-05-19)`. */
  version: string;
}

export interface LocalRustToolchain {
  /** rustup's full name (`stable-x86_64-unknown-linux-gnu`), or the dir for a path toolchain. */
  name: string;
  /** The toolchain dir: bin/rustc, bin/cargo, lib/ (realpath). */
  dir: string;
  /** How it was chosen: rustup's source words, or "path" when rustup is not in use. */
  source: RustupSource | "path";
  /** The toolchain file or override dir that chose it, when one did. */
  origin?: string;
  identity: RustIdentity;
}

export type LocalRustResult = { ok: true; toolchain: LocalRustToolchain } | { ok: false; reason: string };

export function parseRustcVV(out: string): RustIdentity | undefined {
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, "m").exec(out)?.[1]?.trim();
  const release = field("release");
  const host = field("host");
  if (!release || !host) return undefined;
  const first = /^rustc (.+)$/m.exec(out)?.[1]?.trim() ?? release;
  return {
    release,
    host,
    commitHash: field("commit-hash") ?? "unknown",
    commitDate: field("commit-date") ?? "unknown",
    version: first,
  };
}

/** The exact identity two toolchains must share for one's build to stand for the other's. */
export function rustIdentityKey(id: RustIdentity): string {
  return `rustc ${id.release} ${id.commitHash} ${id.host}`;
}

/** The dir name `rch toolchain sync` gives a toolchain on a worker, under <remote_root>/.rch/toolchains. */
export function rchToolchainName(id: RustIdentity): string {
  return `rust-${id.release}-${id.commitHash.slice(0, 9)}-${id.host}`;
}

function isRustupProxy(path: string): boolean {
  const base = realpathOr(path).split("/").pop() ?? "";
  return base === "rustup" || base.startsWith("rustup-init");
}

/** A toolchain dir's two programs (what `rch toolchain sync` verifies a copy by). */
export function toolchainBins(dir: string): { rustc: string; cargo: string } {
  return { rustc: join(dir, "bin", "rustc"), cargo: join(dir, "bin", "cargo") };
}

/** The toolchain a plain `cargo` (or `cargo +NAME`) would use in `cwd`. */
export function localCargoToolchain(
  cwd: string,
  env: Record<string, string | undefined>,
  name?: string,
): Promise<LocalRustResult> {
  return localRustToolchain(cwd, env, ["cargo", ...(name ? [`+${name}`] : [])]);
}

async function identityOfDir(dir: string): Promise<RustIdentity | undefined> {
  const rustc = realpathOr(join(dir, "bin", "rustc"));
  const out = await identityOf("rustc", rustc, () => toolOutput([rustc, "-vV"]));
  return out === undefined ? undefined : parseRustcVV(out);
}

/**
 * The Rust toolchain `argv` (a cargo or rustc command; `+toolchain` as its second word) would use
 * when run in `cwd` with `env`, and its identity. Spawns nothing when the compiler's identity is
 * cached (the warm path); otherwise runs that toolchain's own `bin/rustc -vV` once.
 */
export async function localRustToolchain(
  cwd: string,
  env: Record<string, string | undefined>,
  argv: readonly string[],
): Promise<LocalRustResult> {
  const tool = (argv[0] ?? "cargo").split("/").pop() === "rustc" ? "rustc" : "cargo";
  const toolPath = whichCommand(argv[0] ?? tool, env, cwd);
  if (!toolPath) return { ok: false, reason: `${tool} is not installed here` };
  // cargo runs $RUSTC when set; a RUSTC that is itself a rustup proxy changes nothing.
  const rustcEnv = env.RUSTC ? whichCommand(env.RUSTC, env, cwd) : undefined;
  if (env.RUSTC && !rustcEnv) return { ok: false, reason: `RUSTC=${env.RUSTC} is not an executable here` };
  let dir: string;
  let chosen: Omit<LocalRustToolchain, "identity" | "dir">;
  if (rustcEnv && !isRustupProxy(rustcEnv)) {
    dir = dirname(dirname(realpathOr(rustcEnv)));
    chosen = { name: dir, source: "path" };
  } else if (isRustupProxy(toolPath)) {
    const rustupHome = env.RUSTUP_HOME || join(env.HOME || homedir(), ".rustup");
    const c = rustupToolchain({ cwd, env, argv, rustupHome });
    if (!c.ok) return c;
    dir = realpathOr(c.dir);
    chosen = { name: c.name, source: c.source, ...(c.origin ? { origin: c.origin } : {}) };
  } else {
    // No rustup: cargo runs the rustc PATH finds (rustc is the tool itself for `rustc …`).
    const rustc = tool === "rustc" ? toolPath : whichCommand("rustc", env, cwd);
    if (!rustc) return { ok: false, reason: "rustc is not installed here" };
    dir = dirname(dirname(realpathOr(rustc)));
    chosen = { name: dir, source: "path" };
  }
  const identity = await identityOfDir(dir);
  if (!identity) return { ok: false, reason: `cannot run ${join(dir, "bin", "rustc")} -vV here` };
  return { ok: true, toolchain: { ...chosen, dir, identity } };
}
