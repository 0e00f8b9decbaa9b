// The Rust toolchain a cargo build in a directory would use on this machine, as `rch toolchain
// sync` ships it: chosen by the same resolution `rch exec` matches workers with
// (src/toolchain/rust.ts, rustup's override order read from files), plus what a copy must print
// to count as the same compiler (`rustc -vV`, `cargo -V` of that dir) and this machine's
// `uname -sm`. Costs two or three process starts (~60 ms): for the CLI command only.
import { run } from "../ssh/proc.ts";
import { localCargoToolchain, rchToolchainName, toolchainBins } from "../toolchain/rust.ts";

export interface LocalRust {
  /** rust-<release>-<9 hex of the commit>-<host>: the same compiler has the same name anywhere. */
  name: string;
  /** The toolchain dir (bin/rustc, bin/cargo, lib/). */
  dir: string;
  host: string;
  /** `rustc -vV` and `cargo -V` output as printed: a copy must print the same. */
  verbose: string;
  cargo: string;
  /** `uname -sm` of this machine: a worker must report the same to run the copy. */
  os: string;
}

export class LocalRustError extends Error {}

const DEADLINE_MS = 30_000;

/** `toolchain`: a rustup toolchain name (`nightly`, `1.95.0`), as `cargo +NAME` would take it. */
export async function localRust(cwd: string, toolchain?: string, env = process.env): Promise<LocalRust> {
  const found = await localCargoToolchain(cwd, env, toolchain);
  if (!found.ok) throw new LocalRustError(found.reason);
  const { dir, identity } = found.toolchain;
  if (!/^[0-9a-f]{9,}$/.test(identity.commitHash)) {
    throw new LocalRustError(`${dir} has no commit hash in rustc -vV: it cannot be told apart from others`);
  }
  const ask = async (argv: string[]) => {
    const r = await run(argv, { cwd, env: { PATH: env.PATH, HOME: env.HOME }, timeoutMs: DEADLINE_MS });
    if (r.code !== 0)
      throw new LocalRustError(`${argv.join(" ")} failed here: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  };
  const [verbose, cargo, os] = await Promise.all([
    ask([toolchainBins(dir).rustc, "-vV"]),
    ask([toolchainBins(dir).cargo, "-V"]),
    ask(["uname", "-sm"]),
  ]);
  return { name: rchToolchainName(identity), dir, host: identity.host, verbose, cargo, os: os.trim() };
}
