// Which directory is "the project": what gets synced, and where .rch/config.toml is looked for.
// Order (README: "Running builds remotely", step 2): cargo workspace root, git root, the dir holding .rch/config.toml, the cwd.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { smallText } from "./smallFile.ts";

function ancestors(start: string): string[] {
  const dirs: string[] = [];
  let dir = resolve(start);
  for (;;) {
    dirs.push(dir);
    const parent = dirname(dir);
    if (parent === dir) return dirs;
    dir = parent;
  }
}

function declaresWorkspace(manifest: string): boolean {
  try {
    return /^\s*\[workspace\]/m.test(smallText(manifest) ?? "");
  } catch {
    return false;
  }
}

export type RootKind = "cargo-workspace" | "cargo-package" | "git" | "rch-config" | "cwd";

export interface ProjectRoot {
  root: string;
  kind: RootKind;
}

export function findProjectRoot(cwd: string): ProjectRoot {
  const dirs = ancestors(cwd);
  const gitIndex = dirs.findIndex((d) => existsSync(join(d, ".git")));
  // Never look for a cargo workspace above the git root: that would sync an unrelated tree.
  const within = gitIndex === -1 ? dirs : dirs.slice(0, gitIndex + 1);
  const nearestCargo = within.findIndex((d) => existsSync(join(d, "Cargo.toml")));
  if (nearestCargo !== -1) {
    for (let i = within.length - 1; i >= nearestCargo; i--) {
      const d = within[i]!;
      if (existsSync(join(d, "Cargo.toml")) && declaresWorkspace(join(d, "Cargo.toml"))) {
        return { root: d, kind: "cargo-workspace" };
      }
    }
    return { root: within[nearestCargo]!, kind: "cargo-package" };
  }
  if (gitIndex !== -1) return { root: dirs[gitIndex]!, kind: "git" };
  const withConfig = dirs.find((d) => existsSync(join(d, ".rch", "config.toml")));
  if (withConfig) return { root: withConfig, kind: "rch-config" };
  return { root: resolve(cwd), kind: "cwd" };
}

/** A root rch must never sync whole: the filesystem root, the user's home, or a shared temp dir.
 * A stray `.git` or `Cargo.toml` left in /tmp would otherwise make every scratch project under it
 * one project, and the first build there would copy all of /tmp to a worker. */
export function tooBroadRoot(root: string, home: string): boolean {
  const r = resolve(root);
  return [resolve("/"), resolve(home), resolve(tmpdir()), "/tmp", "/var/tmp", "/dev/shm"].includes(r);
}
