// The registry of build families: the one place that says what a family is. Everything that knows
// about families derives from this table — the `Family` type, the classifier's rules (rules.ts)
// and its keyword fast path, the hook's sh prefilter keywords, the tools `rch workers probe`
// reports, and the exec pipeline's per-family plan (src/exec/family.ts interprets the exec facts
// declared here). Adding a family is one entry here; adding a kind of fact is one field here plus
// its one interpreter. test/classify/registry.test.ts checks that every consumer agrees.
//
// Pure data and the judge functions: classify/ does no I/O and imports nothing else of rch, so
// every layer may read it.

import type { RuleResult } from "./args.ts";
import { CARGO_ALIASES, CARGO_GLOBAL_VALUED, judgeCargo } from "./cargo.ts";
import { judgeCc, judgeRustc } from "./compilers.ts";
import type { HelpSpec } from "./guards.ts";
import { judgeMake } from "./make.ts";
import type { WordToken } from "./tokenize.ts";
import { judgeBun, judgeCmake, judgeMeson, judgeNinja } from "./tools.ts";

/** How exec names a build in the timing history: "cargo test", "make", "meson compile". */
export interface KindSpec {
  label: string;
  /**
   * Append the subcommand: the first word that is not an option, skipping a leading `+toolchain`
   * and the value word of each `valued` option; `aliases` map short forms to the full name.
   */
  subcommand?: {
    toolchain?: boolean;
    valued?: ReadonlySet<string>;
    aliases?: Readonly<Record<string, string>>;
  };
}

/** Where a family's outputs land: what comes back after the build, and whether builds of one
 * project may share a worker's copy (only when no output is in the tree a sync rewrites). */
export type OutputSpec =
  /** cargo's target dir (`--target-dir`, CARGO_TARGET_DIR, .cargo/config.toml, else target/):
   * pulled back whole, never synced; nothing lands in the tree. */
  | { kind: "cargo-target" }
  /** Files the build creates or changes in the tree, with a build dir named by `option` (the cwd
   * without it) whose configure-time absolute paths are re-rooted on the worker. */
  | { kind: "build-dir"; option: string }
  /** Files the build creates or changes in the tree. */
  | { kind: "in-tree" }
  /** In-tree, and `bun install` runs on the worker in the dir holding package.json. */
  | { kind: "bun-package" };

/** What identifies the toolchain a family's build runs: a worker must have exactly the same one
 * (interpreted by src/exec/family.ts with src/toolchain/; matched by src/protocol/toolchains.ts).
 * Every family also needs a worker of this machine's OS and arch. */
export type ToolchainSpec =
  /** The Rust toolchain rustup (or PATH) picks for this command: its rustc -vV. */
  | { kind: "rust" }
  /** The compiler the command word names, found on PATH: --version line 1 and -dumpmachine. */
  | { kind: "compiler" }
  /** The compilers and tools recorded in the build dir (CMakeCache.txt, meson-info). */
  | { kind: "build-dir" }
  /** The tool itself, by the output of this version flag (`bun --revision`). */
  | { kind: "revision"; flag: string }
  /** Nothing beyond the platform (make: its recipes name their own tools). */
  | { kind: "none" };

export interface FamilySpec {
  /** Command names, matched exactly (or as the basename of an absolute path). */
  names: readonly string[];
  /** Help/version spellings beyond the common `-h`, `-help`, `--help*`, `--version*`. */
  help: HelpSpec;
  /** Judges the arguments (after help flags were ruled out); `name` is the command word used. */
  judge: (args: readonly WordToken[], name: string) => RuleResult;
  /** Tools whose `--version` line `rch workers probe` reports for this family. */
  probeTools: readonly string[];
  /** Facts for `rch exec`, interpreted by src/exec/family.ts. */
  exec: { kind: KindSpec; outputs: OutputSpec; toolchain: ToolchainSpec };
}

const IN_TREE: OutputSpec = { kind: "in-tree" };

const TABLE = {
  cargo: {
    names: ["cargo"],
    help: { words: ["-V", "--list"], clusterLetters: "hV" },
    judge: judgeCargo,
    probeTools: ["cargo"],
    exec: {
      kind: {
        label: "cargo",
        subcommand: { toolchain: true, valued: CARGO_GLOBAL_VALUED, aliases: CARGO_ALIASES },
      },
      outputs: { kind: "cargo-target" },
      toolchain: { kind: "rust" },
    },
  },
  rustc: {
    names: ["rustc"],
    help: { words: ["-V", "-vV"] },
    judge: judgeRustc,
    probeTools: ["rustc"],
    exec: { kind: { label: "rustc" }, outputs: IN_TREE, toolchain: { kind: "rust" } },
  },
  bun: {
    names: ["bun"],
    help: {},
    judge: judgeBun,
    probeTools: ["bun"],
    exec: {
      kind: { label: "bun", subcommand: {} },
      outputs: { kind: "bun-package" },
      toolchain: { kind: "revision", flag: "--revision" },
    },
  },
  cc: {
    names: ["gcc", "g++", "cc", "c++", "clang", "clang++"],
    help: {},
    judge: judgeCc,
    probeTools: ["gcc", "clang"],
    exec: { kind: { label: "cc" }, outputs: IN_TREE, toolchain: { kind: "compiler" } },
  },
  make: {
    names: ["make"],
    // make's short clusters (-v, -h, -nv) are judged by its option parser, which knows attached values.
    help: { words: ["-v"] },
    judge: judgeMake,
    probeTools: ["make"],
    exec: { kind: { label: "make" }, outputs: IN_TREE, toolchain: { kind: "none" } },
  },
  cmake: {
    names: ["cmake"],
    help: {},
    judge: judgeCmake,
    probeTools: ["cmake"],
    exec: {
      kind: { label: "cmake --build" },
      outputs: { kind: "build-dir", option: "--build" },
      toolchain: { kind: "build-dir" },
    },
  },
  ninja: {
    names: ["ninja"],
    help: {},
    judge: judgeNinja,
    probeTools: ["ninja"],
    exec: {
      kind: { label: "ninja" },
      outputs: { kind: "build-dir", option: "-C" },
      toolchain: { kind: "build-dir" },
    },
  },
  meson: {
    names: ["meson"],
    help: {},
    judge: judgeMeson,
    // meson compile drives ninja: a worker needs both.
    probeTools: ["meson", "ninja"],
    exec: {
      kind: { label: "meson compile" },
      outputs: { kind: "build-dir", option: "-C" },
      toolchain: { kind: "build-dir" },
    },
  },
} satisfies Record<string, FamilySpec>;

export type Family = keyof typeof TABLE;

export const FAMILIES: Readonly<Record<Family, FamilySpec>> = TABLE;

/** Every family, in table order. */
export const FAMILY_LIST = Object.keys(TABLE) as readonly Family[];

// These three lists are built with plain loops, not flatMap / Set / spread: every hook run loads
// this module, and the engine's first use of those builtins cost ~0.45 M of the ~4.5 M
// instructions a build-path hook run spends above the Bun floor (callgrind, compiled rch).
const BY_NAME = new Map<string, Family>();
const NAMES: string[] = [];
const PROBES: string[] = [];
for (const f of FAMILY_LIST) {
  for (const name of FAMILIES[f].names) {
    if (!BY_NAME.has(name)) NAMES.push(name);
    BY_NAME.set(name, f);
  }
  for (const tool of FAMILIES[f].probeTools) if (!PROBES.includes(tool)) PROBES.push(tool);
}

/** The family a command name (not a path) belongs to; undefined for `bunx`, `gmake`, `./build.sh`. */
export function familyNamed(name: string): Family | undefined {
  return BY_NAME.get(name);
}

/** Every command name of every family: the fast path's and the hook prefilter's keywords. */
export const COMMAND_NAMES: readonly string[] = NAMES;

/** Every family's probe tools, each once, in table order. */
export const PROBE_TOOLS: readonly string[] = PROBES;
