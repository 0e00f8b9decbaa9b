// make: any target except those that install, clean, publish, serve or otherwise act on this
// machine or the source tree. The keep-local target list is shared with cmake, ninja and meson.

import {
  globList,
  known,
  type LongSpec,
  local,
  longOption,
  mayBeFlag,
  offload,
  type RuleResult,
  type ShortSpec,
  shortCluster,
  show,
} from "./args.ts";
import { snapshotAssignment } from "./guards.ts";
import type { WordToken } from "./tokenize.ts";

/** Targets that stay local: installs, cleans, deploys, servers… (README: "What gets offloaded"). */
export const MAKE_LOCAL_TARGETS: readonly string[] = (
  "install* *-install uninstall* clean* distclean mrproper clobber dist help fmt format " +
  "deploy* publish* release* serve* dev watch* docker* push* upload* setup* bootstrap " +
  "init deps"
).split(" ");

/**
 * Further targets kept local because by convention they write the source tree or act on local
 * state (databases, services): §3 is silent on them and precision comes first.
 */
export const EXTRA_LOCAL_TARGETS: readonly string[] = (
  "*_install *-uninstall *clean *-clean dist* dev-* fix fix-* *-fix *fmt fmt-* format-* " +
  "*-format update* bless *snapshot* generate* gen regen* codegen migrate* start* stop* " +
  "restart* up down run-dev"
).split(" ");

// Built on the first target judged, not at import: every hook run loads this module, and most
// lines name no make-style target (`cargo build`); building it at import cost ~0.2 M of the ~5 M
// instructions a build-path hook run spends above the Bun floor (callgrind, compiled rch).
let localTargetGlobs: ((word: string) => boolean) | undefined;
function localTargetWord(word: string): boolean {
  localTargetGlobs ??= globList([...MAKE_LOCAL_TARGETS, ...EXTRA_LOCAL_TARGETS]);
  return localTargetGlobs(word);
}

/** Why a build-tool target must stay local, or undefined. Also checks the last path component. */
export function localTarget(tool: string, t: WordToken): string | undefined {
  if (!known(t) || mayBeFlag(t)) return `${tool}: target ${show(t.value)} is not literal`;
  const v = t.value;
  if (v === "" || v.startsWith("-")) return `${tool}: target ${show(v)} is empty or looks like an option`;
  const last = v.slice(v.lastIndexOf("/", v.length - 2) + 1).replace(/\/$/, "");
  if (localTargetWord(v) || localTargetWord(last))
    return `${tool}: target ${show(v)} is in the keep-local list`;
  return undefined;
}

const MAKE_SHORT: ShortSpec = {
  tool: "make",
  value: "CfIoW",
  numeric: "jl",
  attached: "O",
  plain: "bBdeikLmrRsSw",
  local: {
    n: "is a dry run",
    q: "only asks whether targets are up to date",
    p: "prints the database",
    t: "touches targets instead of building",
    v: "prints the version",
    h: "asks for help",
    E: "evaluates arbitrary make code",
  },
  checkValue: (letter, value) =>
    letter === "f" && value === "-" ? "-f - reads the makefile from stdin" : undefined,
};

const MAKE_LONG: LongSpec = {
  value: new Set(
    (
      "--directory --file --makefile --include-dir --old-file --assume-old --new-file " +
      "--assume-new --what-if"
    ).split(" "),
  ),
  flag: new Set(
    (
      "--always-make --environment-overrides --ignore-errors --keep-going --no-keep-going " +
      "--stop --silent --quiet --no-silent --no-builtin-rules --no-builtin-variables " +
      "--print-directory --no-print-directory --warn-undefined-variables --trace " +
      "--check-symlink-times"
    ).split(" "),
  ),
  optional: new Set(["--jobs", "--load-average", "--output-sync", "--debug", "--shuffle"]),
};

const MAKE_LOCAL_LONG: Readonly<Record<string, string>> = {
  "--dry-run": "is a dry run",
  "--just-print": "is a dry run",
  "--recon": "is a dry run",
  "--question": "only asks whether targets are up to date",
  "--print-data-base": "prints the database",
  "--touch": "touches targets instead of building",
  "--eval": "evaluates arbitrary make code",
};

/** `VAR=value` / `VAR+=value` / `VAR:=value` command-line variables (not targets). */
const MAKE_VARIABLE = /^[A-Za-z_.][A-Za-z0-9_.-]*(?:\+|\?|!|:{1,3})?=/;

export function judgeMake(args: readonly WordToken[]): RuleResult {
  let targets = 0;
  let options = true; // until `--`
  for (let i = 0; i < args.length; ) {
    const w = args[i]!;
    const v = w.value;
    if (mayBeFlag(w)) return local(`make: ${show(v)} may expand to options or several words`);
    if (options && v === "--") {
      options = false;
      i++;
    } else if (options && v.startsWith("--")) {
      const name = v.split("=", 1)[0]!;
      const why = Object.hasOwn(MAKE_LOCAL_LONG, name) ? MAKE_LOCAL_LONG[name] : undefined;
      if (why !== undefined) return local(`make: ${name} ${why}`);
      if ((name === "--file" || name === "--makefile") && (v.endsWith("=-") || args[i + 1]?.value === "-")) {
        return local("make: --file - reads the makefile from stdin");
      }
      const next = longOption(args, i, MAKE_LONG, "make");
      if (typeof next !== "number") return next;
      i = next;
    } else if (options && v.startsWith("-") && v.length > 1) {
      const next = shortCluster(args, i, MAKE_SHORT);
      if (typeof next !== "number") return next;
      i = next;
    } else if (MAKE_VARIABLE.test(v)) {
      // A make variable, not a target; recipes may pass it to test runners like an env var.
      const why = snapshotAssignment(v);
      if (why !== undefined) return local(`make: ${why}`);
      i++;
    } else {
      const why = localTarget("make", w);
      if (why !== undefined) return local(why);
      targets++;
      i++;
    }
  }
  return targets > 0
    ? offload(0.95, "make: builds named targets")
    : offload(0.9, "make: builds the default goal");
}
