// What the bed needs from the host, checked up front so a missing piece is one clear error
// (never a skip: on CI a bed that cannot start must fail the suite).
import { accessSync, constants, existsSync, readdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "./proc.ts";

export type Toolchain = "rust" | "bun" | "cc";

export const SSHD = "/usr/sbin/sshd"; // absolute: sshd refuses to re-exec from a relative path

const APT_HINT =
  "install them with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y " +
  "--no-install-recommends openssh-server openssh-client rsync zstd";

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

export function checkHost(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "test bed: must run as root (it creates users, mounts tmpfs and starts sshd); run the tests as root",
    );
  }
  const missing: string[] = [];
  if (!existsSync(SSHD)) missing.push(`${SSHD} (openssh-server)`);
  for (const cmd of ["ssh", "ssh-keygen", "rsync"]) if (!onPath(cmd)) missing.push(cmd);
  for (const cmd of ["setpriv", "useradd", "userdel", "mount", "umount"]) if (!onPath(cmd)) missing.push(cmd);
  if (missing.length > 0)
    throw new Error(`test bed: missing on this host: ${missing.join(", ")}; ${APT_HINT}`);
}

/** The stable rust toolchain directory (holds bin/cargo). /root is 0700, so workers see it only
 * through a bind mount of this directory. */
export async function rustToolchainDir(): Promise<string> {
  const candidates: string[] = [];
  const r = await run(["rustc", "--print", "sysroot"], { timeoutMs: 10_000 }).catch(() => undefined);
  if (r && r.code === 0) candidates.push(r.stdout.trim());
  const toolchains = join(process.env.RUSTUP_HOME ?? join(homedir(), ".rustup"), "toolchains");
  if (existsSync(toolchains)) {
    const stable = readdirSync(toolchains).filter((d) => d.startsWith("stable-"));
    candidates.push(...stable.map((d) => join(toolchains, d)));
  }
  for (const dir of candidates) if (existsSync(join(dir, "bin", "cargo"))) return realpathSync(dir);
  throw new Error(
    "test bed: no rust toolchain with bin/cargo found (tried `rustc --print sysroot` and ~/.rustup/toolchains/stable-*); " +
      "install rust with rustup, or start the fleet without the 'rust' toolchain",
  );
}

/** The real bun executable (not the npm stub): the repo's pinned one first, else the running bun. */
export function bunBinary(): string {
  const repo = join(dirname(dirname(import.meta.dir)), "node_modules");
  const candidates = [
    join(repo, "bun", "bin", "bun.exe"),
    join(repo, "@oven", "bun-linux-x64", "bin", "bun"),
    process.execPath,
  ];
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      if (Bun.file(file).size > 1_000_000) return realpathSync(file); // the stub is ~450 bytes
    } catch {
      // next
    }
  }
  throw new Error(`test bed: no bun binary found (tried ${candidates.join(", ")}); run npm install`);
}

export function checkCc(): void {
  for (const cmd of ["gcc", "make"]) {
    if (!onPath(cmd)) throw new Error(`test bed: '${cmd}' is missing; apt-get install gcc make`);
  }
}
