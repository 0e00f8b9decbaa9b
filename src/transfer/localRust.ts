// The Rust toolchain a cargo or rustc build in a directory would use on this machine, as rch
// toolchain sync needs it: its identity (rustc -vV, cargo -V), its dir and its name on workers.
// Asked of rustup's own proxies (`rustc -vV` in that dir with that environment) so every override
// rule applies exactly as for the build; RUSTUP_AUTO_INSTALL=0 keeps a toolchain file that names
// an uninstalled toolchain from downloading it here. Costs two or three process starts (~60 ms):
// for the CLI command, never for a build's warm path.
import { join } from "node:path";
import { run } from "../ssh/proc.ts";

export interface LocalRust {
  /** rust-<release>-<9 hex of the commit>-<host>: the same compiler has the same name anywhere. */
  name: string;
  /** The toolchain dir (rustc's sysroot). */
  dir: string;
  release: string;
  commit: string;
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
  const e = { ...env, RUSTUP_AUTO_INSTALL: "0", ...(toolchain ? { RUSTUP_TOOLCHAIN: toolchain } : {}) };
  const ask = async (argv: string[]) => {
    const r = await run(argv, { cwd, env: e, timeoutMs: DEADLINE_MS });
    if (r.code !== 0) {
      const why =
        r.stderr
          .trim()
          .split("\n")
          .find((l) => l.includes("error")) ?? r.stderr.trim();
      throw new LocalRustError(`${argv.join(" ")} failed here: ${why || `exit ${r.code}`}`);
    }
    return r.stdout;
  };
  const [verbose, sysroot, os] = await Promise.all([
    ask(["rustc", "-vV"]),
    ask(["rustc", "--print", "sysroot"]),
    ask(["uname", "-sm"]),
  ]);
  const dir = sysroot.trim();
  const cargo = await ask([join(dir, "bin", "cargo"), "-V"]);
  const field = (k: string) => new RegExp(`^${k}: (.+)$`, "m").exec(verbose)?.[1]?.trim();
  const release = field("release");
  const commit = field("commit-hash");
  const host = field("host");
  if (!release || !host || !commit || !/^[0-9a-f]{9,}$/.test(commit)) {
    throw new LocalRustError(`rustc -vV here does not name its release, commit and host`);
  }
  const name = `rust-${release}-${commit.slice(0, 9)}-${host}`;
  if (!/^rust-[A-Za-z0-9._-]+$/.test(name)) throw new LocalRustError(`unusable toolchain name ${name}`);
  return { name, dir, release, commit, host, verbose, cargo, os: os.trim() };
}
