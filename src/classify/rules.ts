// The family rules table: which command names belong to which family, each family's extra
// help/version spellings, and the function that judges its arguments. classify() only consults
// this table; the per-family details live in cargo.ts, compilers.ts, make.ts and tools.ts.

import type { RuleResult } from "./args.ts";
import { judgeCargo } from "./cargo.ts";
import { judgeCc, judgeRustc } from "./compilers.ts";
import type { HelpSpec } from "./guards.ts";
import { judgeMake } from "./make.ts";
import type { WordToken } from "./tokenize.ts";
import { judgeBun, judgeCmake, judgeMeson, judgeNinja } from "./tools.ts";
import type { Family } from "./types.ts";

export interface FamilyRule {
  family: Family;
  /** Command names, matched exactly (or as the basename of an absolute path). */
  names: readonly string[];
  /** Help/version spellings beyond the common `-h`, `-help`, `--help*`, `--version*`. */
  help: HelpSpec;
  judge: (args: readonly WordToken[], name: string) => RuleResult;
}

export const FAMILY_RULES: readonly FamilyRule[] = [
  {
    family: "cargo",
    names: ["cargo"],
    help: { words: ["-V", "--list"], clusterLetters: "hV" },
    judge: judgeCargo,
  },
  { family: "rustc", names: ["rustc"], help: { words: ["-V", "-vV"] }, judge: judgeRustc },
  { family: "bun", names: ["bun"], help: {}, judge: judgeBun },
  {
    family: "cc",
    names: ["gcc", "g++", "cc", "c++", "clang", "clang++"],
    help: {},
    judge: judgeCc,
  },
  // make's short clusters (-v, -h, -nv) are judged by its option parser, which knows attached values.
  { family: "make", names: ["make"], help: { words: ["-v"] }, judge: judgeMake },
  { family: "cmake", names: ["cmake"], help: {}, judge: judgeCmake },
  { family: "ninja", names: ["ninja"], help: {}, judge: judgeNinja },
  { family: "meson", names: ["meson"], help: {}, judge: judgeMeson },
];

const BY_NAME = new Map<string, FamilyRule>();
for (const rule of FAMILY_RULES) for (const name of rule.names) BY_NAME.set(name, rule);

export function ruleFor(name: string): FamilyRule | undefined {
  return BY_NAME.get(name);
}

/** Every command name of every family: the fast path's keyword list is derived from it. */
export const FAMILY_NAMES: readonly string[] = [...BY_NAME.keys()];
