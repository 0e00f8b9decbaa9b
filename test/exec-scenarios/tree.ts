// File-tree snapshots of a project copy, for "the local files are the same as if the build had
// run locally". Symlinks are recorded, never followed (lstat), so a link out of the project is
// seen as a link and its target's contents never enter the comparison. Text files are hashed
// with the copy's own root replaced by <ROOT>, so two copies in different directories compare
// equal while a leaked worker path (a .d file naming the remote tree) still shows up.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export type Entry =
  | { type: "dir" }
  | { type: "file"; exec: boolean; size: number; sha: string; binary: boolean }
  | { type: "link"; target: string }
  | { type: "other" };

export type Tree = Map<string, Entry>;

/** Relative paths (with `/`) matching this are left out of a snapshot entirely. */
export type PathFilter = (rel: string) => boolean;

function hashFile(path: string, root: string): { sha: string; binary: boolean } {
  const bytes = readFileSync(path);
  const binary = bytes.subarray(0, 8192).includes(0);
  const h = createHash("sha256");
  if (binary) h.update(bytes);
  else h.update(bytes.toString("utf8").replaceAll(root, "<ROOT>"));
  return { sha: h.digest("hex"), binary };
}

export function snapshot(root: string, skip: PathFilter = () => false): Tree {
  const tree: Tree = new Map();
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const rel = prefix ? `${prefix}/${name}` : name;
      if (skip(rel)) continue;
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isSymbolicLink()) tree.set(rel, { type: "link", target: readlinkSync(path) });
      else if (st.isDirectory()) {
        tree.set(rel, { type: "dir" });
        walk(path, rel);
      } else if (st.isFile()) {
        const exec = (st.mode & 0o111) !== 0;
        tree.set(rel, { type: "file", exec, size: st.size, ...hashFile(path, root) });
      } else tree.set(rel, { type: "other" });
    }
  };
  walk(root, "");
  return tree;
}

export interface DiffOptions {
  /** Files whose bytes may legitimately differ between two builds in different directories
   * (absolute paths inside ELF debug info, timestamps in .ninja_log): compared by type and mode
   * only. Gets whether the file is binary (has a NUL in its first 8 KiB). */
  contentMayDiffer?: (rel: string, binary: boolean) => boolean;
}

/** Human-readable differences between two snapshots; [] when equivalent. */
export function diffTrees(a: Tree, b: Tree, opts: DiffOptions = {}, names = ["rch", "local"]): string[] {
  const [na, nb] = names;
  const out: string[] = [];
  for (const [rel, ea] of a) {
    const eb = b.get(rel);
    if (!eb) {
      out.push(`only in ${na}: ${rel} (${ea.type})`);
      continue;
    }
    if (ea.type !== eb.type) {
      out.push(`${rel}: ${ea.type} in ${na}, ${eb.type} in ${nb}`);
    } else if (ea.type === "link" && eb.type === "link" && ea.target !== eb.target) {
      out.push(`${rel}: link to ${ea.target} in ${na}, to ${eb.target} in ${nb}`);
    } else if (ea.type === "file" && eb.type === "file") {
      if (ea.exec !== eb.exec) out.push(`${rel}: executable ${ea.exec} in ${na}, ${eb.exec} in ${nb}`);
      else if (ea.sha !== eb.sha && !opts.contentMayDiffer?.(rel, ea.binary || eb.binary)) {
        out.push(`${rel}: content differs (${ea.size} bytes in ${na}, ${eb.size} in ${nb})`);
      }
    }
  }
  for (const [rel, eb] of b) if (!a.has(rel)) out.push(`only in ${nb}: ${rel} (${eb.type})`);
  return out;
}

/** Glob-ish filter: `*` matches within a path segment, `**` across segments. */
export function globs(...patterns: string[]): PathFilter {
  const res = patterns.map((p) => {
    const re = p
      .split("**")
      .map((part) =>
        part
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^/]*"),
      )
      .join(".*");
    return new RegExp(`^${re}$`);
  });
  return (rel) => res.some((re) => re.test(rel));
}
