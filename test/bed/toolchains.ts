// Toolchains the worker users can run. /root is 0700 and the repo may not be traversable by
// them, so each fleet bind-mounts (read-only, no copy) what it needs into its own tmpfs:
//   <tc>/rust     = the stable rustup toolchain dir (bin/cargo, bin/rustc, lib/…)
//   <tc>/rust-nightly = the nightly one (only when a worker asks for it)
//   <tc>/rustup   = the real rustup executable (rustup-layout workers link to it)
//   <tc>/bun/bun  = the real bun executable (bunx is a symlink: bun dispatches on argv[0])
// A worker "has" a toolchain iff its bin dir is on the PATH its sshd sets with SetEnv.
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { hostTriple } from "../../src/toolchain/rustup.ts";
import { bunBinary, checkCc, rustToolchainDir, type Toolchain } from "./preflight.ts";
import { bindReadOnly } from "./system.ts";

export type ToolDirs = Partial<Record<Toolchain, string>>;

const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

export async function provisionToolchains(
  tc: string,
  tools: readonly Toolchain[],
  extra: { nightly?: boolean; rustup?: boolean } = {},
): Promise<ToolDirs> {
  const dirs: ToolDirs = {};
  mkdirSync(tc, { recursive: true, mode: 0o755 });
  if (tools.includes("cc")) checkCc();
  if (tools.includes("rust")) {
    const src = await rustToolchainDir();
    const dst = join(tc, "rust");
    mkdirSync(dst, { mode: 0o755 });
    await bindReadOnly(src, dst);
    dirs.rust = join(dst, "bin");
    if (extra.nightly) {
      const n = join(tc, "rust-nightly");
      mkdirSync(n, { mode: 0o755 });
      await bindReadOnly(join(dirname(src), `nightly-${basename(src).replace(/^[^-]+-/, "")}`), n);
    }
    if (extra.rustup) {
      const r = join(tc, "rustup");
      writeFileSync(r, "");
      await bindReadOnly(join(process.env.HOME ?? "/root", ".cargo", "bin", "rustup"), r);
    }
  }
  if (tools.includes("bun")) {
    const dst = join(tc, "bun");
    mkdirSync(dst, { mode: 0o755 });
    writeFileSync(join(dst, "bun"), ""); // a file bind mount needs an existing file to cover
    await bindReadOnly(bunBinary(), join(dst, "bun"));
    symlinkSync("bun", join(dst, "bunx"));
    dirs.bun = dst;
  }
  return dirs;
}

export function sessionPath(dirs: ToolDirs, tools: readonly Toolchain[], system = SYSTEM_PATH): string {
  const own = tools.flatMap((t) => (t === "cc" ? [] : dirs[t] ? [dirs[t]] : []));
  return [...own, system].join(":");
}

/**
 * A system PATH without some commands (a worker that lacks flock(1), say): `dir` gets a symlink
 * to every other command of /usr/local/bin and /usr/bin (/bin is /usr/bin on Debian 12), and the
 * PATH is that dir alone. Absolute paths (/bin/sh, gcc's own helpers) still work, as they would
 * on a machine that lacks the command.
 */
export function systemPathWithout(dir: string, hidden: readonly string[]): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const from of ["/usr/local/bin", "/usr/bin"]) {
    for (const name of readdirSync(from)) {
      if (hidden.includes(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  return dir;
}

/**
 * A rustup layout in a worker's home: toolchains/<name>-<host> linked to the fleet's read-only
 * toolchain dirs, settings.toml naming the first as default, and ~/.cargo/bin with rustup and its
 * proxies. Returns the bin dir to put first on the worker's PATH. `chown` gives it to the worker.
 */
export function rustupHome(
  home: string,
  tc: string,
  names: readonly ("stable" | "nightly")[],
  chown: (path: string) => void,
): string {
  const host = hostTriple();
  const rh = join(home, ".rustup");
  const tcs = join(rh, "toolchains");
  mkdirSync(tcs, { recursive: true, mode: 0o755 });
  for (const n of names)
    symlinkSync(join(tc, n === "stable" ? "rust" : "rust-nightly"), join(tcs, `${n}-${host}`));
  writeFileSync(join(rh, "settings.toml"), `version = "12"\ndefault_toolchain = "${names[0]}-${host}"\n`);
  const bin = join(home, ".cargo", "bin");
  mkdirSync(bin, { recursive: true, mode: 0o755 });
  symlinkSync(join(tc, "rustup"), join(bin, "rustup"));
  for (const p of ["cargo", "rustc"]) symlinkSync("rustup", join(bin, p));
  for (const p of [rh, tcs, join(rh, "settings.toml"), join(home, ".cargo"), bin]) chown(p);
  return bin;
}

/** A dir whose `cc` and `gcc` are another real compiler (`/usr/bin/<name>`), for the front of a
 * worker's PATH. */
/** A dir holding `name`: a script that SIGKILLs its own process group, i.e. the ssh session's
 * shell and everything in it (sshd then reports the session killed and ssh exits 255). */
export function killingTool(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, name), "#!/bin/sh\nkill -KILL 0\n", { mode: 0o755 });
  return dir;
}

export function otherCc(dir: string, name: string): string {
  const real = join("/usr/bin", name);
  if (!existsSync(real)) throw new Error(`test bed: ${real} is missing (scripts/setup.sh installs it)`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const n of ["cc", "gcc"]) symlinkSync(real, join(dir, n));
  return dir;
}
