// What kind of build this is, as far as the exec pipeline cares: a coarse kind for the timing
// history, which output dirs to bring back, whether to track in-tree outputs, what never to sync.
// Families and their facts are declared in the family registry (src/classify/registry.ts); this
// file interprets those facts with what it can see here (the file system, the environment).
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { FAMILIES, type Family, familyNamed, type KindSpec } from "../classify/registry.ts";
import { smallText } from "../config/smallFile.ts";
import { type NeedResult, toolchainNeed } from "../toolchain/need.ts";
import { isInsideDir } from "../transfer/inside.ts";

/** A registry family, or "other": a command in no family (`rch exec -- ./build.sh`), built in-tree. */
export type FamilyName = Family | "other";

export interface FamilyPlan {
  family: FamilyName;
  /** "cargo build", "make", "bun test"… (timing history key). */
  kind: string;
  /** Output dirs (absolute, local) pulled back whole after the build. */
  outputDirs: string[];
  /** Bring back files the build created or changed in the tree, outside the output dirs (make,
   * gcc, ninja…, and cargo's new or updated Cargo.lock). */
  trackInTree: boolean;
  /** Builds may share the worker's copy: every output but the lock file lands in the output dirs,
   * which syncs leave alone (cargo, which locks its target dir itself). */
  sharesCopy: boolean;
  /** Dirs (absolute) whose executables are meant for another machine (`cargo --target T`): the
   * returned-executable check leaves them alone. */
  crossDirs?: string[];
  /** Extra rsync exclude patterns (anchored at the root) for this build. */
  excludes: string[];
  /** Build dirs configured on this machine (cmake, meson): their text files are re-rooted remotely. */
  fixDirs: string[];
  /** Not brought back with the output dirs (rsync patterns relative to each dir). */
  pullExcludes?: string[];
  /** cargo's target dir (absolute): profile dirs a local build changed are sent up before a
   * same-path build (exec/seed.ts). */
  seedDir?: string;
  /** bun: the dir (absolute) holding package.json, where `bun install` runs on the worker. */
  bunDir?: string;
  /** Why this command cannot run remotely at all (→ local). */
  localReason?: string;
}

export interface FamilyContext {
  root: string;
  cwd: string;
  /** Remote environment as the build will see it (argv assignments applied). */
  env: Record<string, string | undefined>;
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}

/** Value of `--name VALUE` or `--name=VALUE` (last one wins, as with cargo and cmake). */
function optionValue(args: readonly string[], names: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    for (const n of names) {
      if (a === n && args[i + 1] !== undefined) found = args[i + 1];
      else if (n.startsWith("--") && a.startsWith(`${n}=`)) found = a.slice(n.length + 1);
      else if (!n.startsWith("--") && a.startsWith(n) && a.length > n.length) found = a.slice(n.length);
    }
  }
  return found;
}

/** Every value of a repeatable `--name VALUE` / `--name=VALUE` option. */
function optionValues(args: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a === name && args[i + 1] !== undefined) out.push(args[++i]!);
    else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
  }
  return out;
}

/** "cargo test", "bun test", "make": the label, plus the subcommand when the family has one. */
function kindOf(spec: KindSpec, args: readonly string[]): string {
  const sub = spec.subcommand;
  if (!sub) return spec.label;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (i === 0 && sub.toolchain && a.startsWith("+")) continue;
    if (sub.valued?.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return `${spec.label} ${sub.aliases?.[a] ?? a}`;
  }
  return spec.label;
}

/** target-dir from the project's .cargo/config.toml (relative to the dir holding .cargo). */
function configTargetDir(root: string): string | undefined {
  for (const name of ["config.toml", "config"]) {
    const file = join(root, ".cargo", name);
    const text = smallText(file);
    if (text === undefined) continue;
    const m = /^\s*target-dir\s*=\s*"([^"]+)"/m.exec(text);
    if (m) return resolve(root, m[1]!);
  }
  return undefined;
}

function cargoTargetPlan(
  family: Family,
  kind: string,
  args: readonly string[],
  ctx: FamilyContext,
): FamilyPlan {
  const plan: FamilyPlan = {
    family,
    kind,
    outputDirs: [],
    // A Cargo.lock cargo creates or updates on the worker must come back (the next sync would
    // delete it there otherwise), and so must whatever a build script writes beside the target.
    trackInTree: true,
    sharesCopy: true,
    excludes: [],
    fixDirs: [],
  };
  // `cargo -C DIR` (nightly) changes directory before anything else: rare enough to keep local.
  if (args.includes("-C")) plan.localReason = "cargo -C is not supported remotely";
  const fromArgs = optionValue(args, ["--target-dir"]);
  const fromEnv = ctx.env.CARGO_TARGET_DIR ?? ctx.env.CARGO_BUILD_TARGET_DIR;
  const target = fromArgs
    ? resolve(ctx.cwd, fromArgs)
    : fromEnv
      ? resolve(ctx.cwd, fromEnv)
      : (configTargetDir(ctx.root) ?? join(ctx.root, "target"));
  const rel = relative(ctx.root, target);
  if (rel === "" || !isInsideDir(ctx.root, target)) {
    plan.localReason = `cargo target dir ${target} is outside the project`;
    return plan;
  }
  plan.outputDirs.push(target);
  plan.excludes.push(`/${rel}/`);
  // Incremental-compilation caches serve only the worker's next build; here they are megabytes
  // of dead weight (a local build keeps its own).
  plan.pullExcludes = ["incremental/"];
  plan.seedDir = target;
  // Cross builds put their outputs under target/<triple>/: executables of another machine, on
  // purpose. (A build.target set in .cargo/config.toml is not read: such builds meet the check.)
  const triples = [...optionValues(args, "--target"), ctx.env.CARGO_BUILD_TARGET ?? ""]
    .flatMap((t) => t.split(","))
    .filter((t) => t !== "");
  if (triples.length) plan.crossDirs = triples.map((t) => join(target, basename(t).replace(/\.json$/, "")));
  return plan;
}

function inTreePlan(family: FamilyName, kind: string): FamilyPlan {
  return { family, kind, outputDirs: [], trackInTree: true, sharesCopy: false, excludes: [], fixDirs: [] };
}

function nearestPackageDir(ctx: FamilyContext): string {
  for (let dir = ctx.cwd; ; dir = resolve(dir, "..")) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dir === ctx.root || dir === "/") return ctx.cwd;
  }
}

/**
 * The build dir the family's option names (`-C DIR`, `--build DIR`), resolved against the cwd. A
 * dir configured here records this machine's absolute paths (CMakeCache.txt, build.ninja): the
 * worker re-roots them at its copy, and returned text files get the local root back.
 */
function buildDirPlan(
  family: FamilyName,
  kind: string,
  dir: string | undefined,
  ctx: FamilyContext,
): FamilyPlan {
  const abs = resolve(ctx.cwd, dir ?? ".");
  const plan = inTreePlan(family, kind);
  if (!isInsideDir(ctx.root, abs)) plan.localReason = `build dir ${abs} is outside the project`;
  else if (existsSync(join(abs, "CMakeCache.txt")) || existsSync(join(abs, "meson-private")))
    plan.fixDirs.push(abs);
  return plan;
}

export function planFamily(argv: readonly string[], ctx: FamilyContext): FamilyPlan {
  const tool = basename(argv[0] ?? "");
  const args = argv.slice(1);
  const family = familyNamed(tool);
  // Not a family (users may run `rch exec -- ./build.sh` themselves): whatever it changes in the
  // tree comes back, as for make.
  if (!family) return inTreePlan("other", tool);
  const { kind: kindSpec, outputs } = FAMILIES[family].exec;
  const kind = kindOf(kindSpec, args);
  switch (outputs.kind) {
    case "cargo-target":
      return cargoTargetPlan(family, kind, args, ctx);
    case "build-dir":
      return buildDirPlan(family, kind, optionValue(args, [outputs.option]), ctx);
    case "bun-package":
      return { ...inTreePlan(family, kind), bunDir: nearestPackageDir(ctx) };
    case "in-tree":
      return inTreePlan(family, kind);
  }
}

/**
 * The toolchain a worker must have for this build (the family's ToolchainSpec, interpreted with
 * what this machine has: src/toolchain/). A command in no family needs only this machine's
 * OS and arch, as every build does.
 */
export function familyToolchain(argv: readonly string[], ctx: FamilyContext): Promise<NeedResult> {
  const family = familyNamed(basename(argv[0] ?? ""));
  const spec = family ? FAMILIES[family].exec.toolchain : ({ kind: "none" } as const);
  const outputs = family ? FAMILIES[family].exec.outputs : undefined;
  const buildDir =
    outputs?.kind === "build-dir"
      ? resolve(ctx.cwd, optionValue(argv.slice(1), [outputs.option]) ?? ".")
      : undefined;
  return toolchainNeed({ spec, argv, cwd: ctx.cwd, env: ctx.env, ...(buildDir ? { buildDir } : {}) });
}
