// What kind of build this is, as far as the exec pipeline cares: a coarse kind for the timing
// history, which output dirs to bring back, whether to track in-tree outputs, what never to sync.
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { smallText } from "../config/smallFile.ts";
import { isInsideDir } from "../transfer/inside.ts";

export type FamilyName = "cargo" | "rustc" | "bun" | "cc" | "make" | "cmake" | "ninja" | "meson" | "other";

export interface FamilyPlan {
  family: FamilyName;
  /** "cargo build", "make", "bun test"… (timing history key). */
  kind: string;
  /** Output dirs (absolute, local) pulled back whole after the build. */
  outputDirs: string[];
  /** Bring back files the build created or changed in the tree (make, gcc, ninja…). */
  trackInTree: boolean;
  /** Extra rsync exclude patterns (anchored at the root) for this build. */
  excludes: string[];
  /** Build dirs configured on this machine (cmake, meson): their text files are re-rooted remotely. */
  fixDirs: string[];
  /** Not brought back with the output dirs (rsync patterns relative to each dir). */
  pullExcludes?: string[];
  /** bun: the dir (absolute) holding package.json, where `bun install` runs on the worker. */
  bunDir?: string;
  /** Why this command cannot run remotely at all (→ local). */
  localReason?: string;
}

const CC = new Set(["gcc", "g++", "cc", "c++", "clang", "clang++"]);
const CARGO_ALIASES: Record<string, string> = { b: "build", c: "check", t: "test", r: "run" };
/** cargo global options that take a value as the next word. */
const CARGO_VALUED = new Set(["--color", "-Z", "--config", "--explain"]);

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

function cargoSubcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("+")) continue;
    if (CARGO_VALUED.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return CARGO_ALIASES[a] ?? a;
  }
  return "";
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

function cargoPlan(args: readonly string[], ctx: FamilyContext): FamilyPlan {
  const sub = cargoSubcommand(args);
  const plan: FamilyPlan = {
    family: "cargo",
    kind: `cargo ${sub}`.trim(),
    outputDirs: [],
    trackInTree: false,
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
  return plan;
}

function nearestPackageDir(ctx: FamilyContext): string {
  for (let dir = ctx.cwd; ; dir = resolve(dir, "..")) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dir === ctx.root || dir === "/") return ctx.cwd;
  }
}

/**
 * `-C DIR` (ninja, meson) or `--build DIR` (cmake), resolved against the cwd. A dir configured
 * here records this machine's absolute paths (CMakeCache.txt, build.ninja): the worker re-roots
 * them at its copy, and returned text files get the local root back.
 */
function buildDirPlan(
  family: FamilyName,
  kind: string,
  dir: string | undefined,
  ctx: FamilyContext,
): FamilyPlan {
  const abs = resolve(ctx.cwd, dir ?? ".");
  const plan: FamilyPlan = { family, kind, outputDirs: [], trackInTree: true, excludes: [], fixDirs: [] };
  if (!isInsideDir(ctx.root, abs)) plan.localReason = `build dir ${abs} is outside the project`;
  else if (existsSync(join(abs, "CMakeCache.txt")) || existsSync(join(abs, "meson-private")))
    plan.fixDirs.push(abs);
  return plan;
}

export function planFamily(argv: readonly string[], ctx: FamilyContext): FamilyPlan {
  const tool = basename(argv[0] ?? "");
  const args = argv.slice(1);
  if (tool === "cargo") return cargoPlan(args, ctx);
  if (tool === "bun" || tool === "bunx") {
    const sub = args.find((a) => !a.startsWith("-")) ?? "";
    return {
      family: "bun",
      kind: `bun ${sub}`.trim(),
      outputDirs: [],
      trackInTree: true,
      excludes: [],
      fixDirs: [],
      bunDir: nearestPackageDir(ctx),
    };
  }
  if (tool === "cmake") return buildDirPlan("cmake", "cmake --build", optionValue(args, ["--build"]), ctx);
  if (tool === "ninja") return buildDirPlan("ninja", "ninja", optionValue(args, ["-C"]), ctx);
  if (tool === "meson") return buildDirPlan("meson", "meson compile", optionValue(args, ["-C"]), ctx);
  const family: FamilyName =
    tool === "rustc" ? "rustc" : CC.has(tool) ? "cc" : tool === "make" || tool === "gmake" ? "make" : "other";
  return {
    family,
    kind: family === "other" ? tool : family,
    outputDirs: [],
    trackInTree: true,
    excludes: [],
    fixDirs: [],
  };
}
