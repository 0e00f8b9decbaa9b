// Which files belong to the synced tree. One ordered rule list feeds both rsync (as --filter
// rules) and rch's own tree walk (fingerprint), so "rsync would send it" and "the fingerprint
// covers it" can never disagree. Patterns follow rsync's rules: first match wins; a trailing /
// matches directories only; a leading / anchors at the project root; a pattern with a / inside
// (or **) is matched against the whole relative path at any directory boundary, otherwise against
// the name alone; * ? [..] do not cross /, ** does, and dir/*** is dir plus everything under it.
import { join } from "node:path";
import { smallText } from "../config/smallFile.ts";

export interface FilterRule {
  include: boolean;
  pattern: string;
}

/** Never synced, whatever the configuration says. */
export const ALWAYS_EXCLUDED: readonly string[] = [
  "node_modules/", // per-machine installs; bun installs on the worker
  "/.rch-stage-*/", // artifact staging of a concurrent rch exec
];

export interface RuleSources {
  includes: readonly string[];
  excludes: readonly string[];
  /** The family's output dirs and the like (e.g. "/target/"). */
  familyExcludes: readonly string[];
  projectRoot: string;
}

/** Lines of .rchignore: one exclude pattern each; blank lines and # or ; comments are skipped. */
export function readRchignore(projectRoot: string): string[] {
  const text = smallText(join(projectRoot, ".rchignore"));
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.trim() !== "" && !/^[#;]/.test(l) && !l.startsWith("!"));
}

/**
 * `.git/objects/` (a default exclude) leaves out what is inside the objects dir, not the dir: with
 * it, git opens the worker's copy as a repository with its index, HEAD and refs, and that is what
 * cargo needs (measured with cargo 1.95: without an objects dir git cannot open the repo, cargo
 * lists a package's files by walking its dir instead of asking git, and a build script's
 * fingerprint changes — a rebuild here after every remote build, and back). The objects are the
 * bulk of a big .git and stay here; `git describe` and `git log` on the worker need them: list
 * `.git/objects/***` in include_patterns to sync them too.
 */
function keepObjectsDir(pattern: string): string {
  return pattern === ".git/objects/" || pattern === "/.git/objects/" ? `${pattern}*` : pattern;
}

export function buildRules(src: RuleSources): FilterRule[] {
  const ex = (pattern: string): FilterRule => ({ include: false, pattern });
  return [
    ...ALWAYS_EXCLUDED.map(ex),
    ...src.includes.map((pattern) => ({ include: true, pattern })),
    ...src.excludes.map(keepObjectsDir).map(ex),
    ...src.familyExcludes.map(ex),
    ...readRchignore(src.projectRoot).map(ex),
  ];
}

/** rsync arguments: explicit "+ "/"- " filter rules, so a pattern is never read as a modifier. */
export function rsyncFilterArgs(rules: readonly FilterRule[]): string[] {
  return rules.map((r) => `--filter=${r.include ? "+" : "-"} ${r.pattern}`);
}

interface CompiledRule {
  include: boolean;
  dirOnly: boolean;
  /** Matched against the whole relative path (true) or the last component (false). */
  wholePath: boolean;
  re: RegExp;
}

function globBody(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "\\" && i + 1 < glob.length) {
      out += escapeRe(glob[++i]!);
    } else if (ch === "*") {
      if (glob[i + 1] === "*") {
        out += ".*";
        while (glob[i + 1] === "*") i++;
      } else out += "[^/]*";
    } else if (ch === "?") out += "[^/]";
    else if (ch === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) out += "\\[";
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += escapeRe(ch);
  }
  return out;
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

function compile(rule: FilterRule): CompiledRule {
  let p = rule.pattern;
  const dirOnly = p.endsWith("/") && !p.endsWith("***/");
  if (dirOnly) p = p.slice(0, -1);
  const anchored = p.startsWith("/");
  if (anchored) p = p.slice(1);
  let tail = "";
  if (p.endsWith("/***")) {
    p = p.slice(0, -4);
    tail = "(?:/.*)?";
  }
  const wholePath = anchored || p.includes("/") || p.includes("**") || tail !== "";
  const body = globBody(p) + tail;
  const re = new RegExp(wholePath ? `${anchored ? "^" : "(?:^|/)"}${body}$` : `^${body}$`);
  return { include: rule.include, dirOnly, wholePath, re };
}

export type Matcher = (relPath: string, name: string, isDir: boolean) => boolean;

/** true when the entry is part of the synced tree. rel has no leading slash. */
export function compileRules(rules: readonly FilterRule[]): Matcher {
  const compiled = rules.map(compile);
  return (rel, name, isDir) => {
    for (const r of compiled) {
      if (r.dirOnly && !isDir) continue;
      if (r.re.test(r.wholePath ? rel : name)) return r.include;
    }
    return true;
  };
}
