// bun, cmake, ninja and meson: each offloads one narrow, well-known build form and keeps every
// other subcommand, mode or option we do not recognise local.

import {
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
  splits,
} from "./args.ts";
import { localTarget } from "./make.ts";
import type { WordToken } from "./tokenize.ts";

export const BUN_SUBCOMMANDS: Readonly<Record<string, { confidence: number; label: string }>> = {
  test: { confidence: 0.95, label: "bun test" },
  typecheck: { confidence: 0.9, label: "bun typecheck" },
};
const BUN_LOCAL_FLAGS: Readonly<Record<string, string>> = {
  "--watch": "watches files on this machine",
  "-w": "watches files on this machine",
  "--hot": "watches files on this machine",
  "-u": "rewrites snapshots in the source tree",
  "--update-snapshots": "rewrites snapshots in the source tree",
};

export function judgeBun(args: readonly WordToken[]): RuleResult {
  const sub = args[0];
  if (!sub) return local("bun: no subcommand");
  if (!known(sub) || mayBeFlag(sub) || !Object.hasOwn(BUN_SUBCOMMANDS, sub.value)) {
    return local(`bun: subcommand ${show(sub.value)} is not offloaded`);
  }
  const { confidence, label } = BUN_SUBCOMMANDS[sub.value]!;
  for (let i = 1; i < args.length; i++) {
    const w = args[i]!;
    const name = w.value.split("=", 1)[0]!;
    if (Object.hasOwn(BUN_LOCAL_FLAGS, name)) return local(`${label}: ${name} ${BUN_LOCAL_FLAGS[name]}`);
    if (mayBeFlag(w)) return local(`${label}: ${show(w.value)} could expand to --update-snapshots`);
  }
  return offload(confidence, label);
}

/** Options a native build tool gets after `cmake --build dir --` that make it not build. */
const NATIVE_LOCAL = new Set(["--dry-run", "--just-print", "--recon", "--question", "--touch"]);

function judgeNative(args: readonly WordToken[], from: number): RuleResult | undefined {
  for (let i = from; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (mayBeFlag(w)) return local(`cmake --build: native argument ${show(v)} may expand to options`);
    if (NATIVE_LOCAL.has(v) || /^-[A-Za-z]*[ntq]/.test(v)) {
      return local(`cmake --build: native option ${show(v)} may not build (dry run, tool, touch)`);
    }
    if (!v.startsWith("-") && !v.includes("=")) {
      const why = localTarget("cmake --build", w);
      if (why !== undefined) return local(why);
    }
  }
  return undefined;
}

const CMAKE_LONG: LongSpec = {
  value: new Set(["--config", "--parallel", "--resolve-package-references"]),
  flag: new Set(["--clean-first", "--verbose"]),
};

export function judgeCmake(args: readonly WordToken[]): RuleResult {
  const first = args[0];
  if (first?.value !== "--build") {
    return local(`cmake: only --build is offloaded (${first ? show(first.value) : "no argument"} is not)`);
  }
  const dir = args[1];
  let i = 2;
  if (!dir) return local("cmake --build: no build directory");
  if (splits(dir)) return local(`cmake --build: directory ${show(dir.value)} may split into several words`);
  if (dir.value === "--preset") i = 3;
  else if (dir.value.startsWith("-") && !dir.value.startsWith("--preset=")) {
    return local(`cmake --build: expected a build directory, got ${show(dir.value)}`);
  }
  let inTargets = false;
  while (i < args.length) {
    const w = args[i]!;
    const v = w.value;
    if (mayBeFlag(w)) return local(`cmake --build: ${show(v)} may expand to options or several words`);
    if (inTargets && !v.startsWith("-")) {
      const why = localTarget("cmake --build", w);
      if (why !== undefined) return local(why);
      i++;
      continue;
    }
    inTargets = false;
    if (v === "--") return judgeNative(args, i + 1) ?? offload(0.95, "cmake --build");
    if (v === "--target" || v === "-t") {
      inTargets = true;
      i++;
    } else if (v.startsWith("--target=") || /^-t./.test(v)) {
      const t = { ...w, value: v.slice(v.startsWith("-t") && !v.startsWith("--") ? 2 : 9) };
      const why = localTarget("cmake --build", t);
      if (why !== undefined) return local(why);
      i++;
    } else if (v === "-j" || v === "--parallel") {
      i += /^[0-9]+$/.test(args[i + 1]?.value ?? "") ? 2 : 1;
    } else if (/^-j[0-9]+$/.test(v) || v === "-v") {
      i++;
    } else {
      const next = longOption(args, i, CMAKE_LONG, "cmake --build");
      if (typeof next !== "number") return next;
      i = next;
    }
  }
  return offload(0.95, "cmake --build");
}

const NINJA_SHORT: ShortSpec = {
  tool: "ninja",
  value: "Cfdwjkl",
  numeric: "",
  plain: "v",
  local: { n: "is a dry run", t: "runs a tool instead of building", h: "asks for help" },
  checkValue: (letter, value) =>
    letter === "d" && value === "list" ? "-d list only lists modes" : undefined,
};
const NINJA_LONG: LongSpec = { value: new Set(), flag: new Set(["--verbose", "--quiet"]) };

const MESON_SHORT: ShortSpec = {
  tool: "meson compile",
  value: "Cjl",
  numeric: "",
  plain: "v",
  local: { h: "asks for help" },
};
const MESON_LONG: LongSpec = { value: new Set(["--jobs", "--load-average"]), flag: new Set(["--verbose"]) };

/** Options then targets, for ninja and `meson compile`. */
function optionsThenTargets(
  tool: string,
  args: readonly WordToken[],
  from: number,
  short: ShortSpec,
  long: LongSpec,
  confidence: number,
): RuleResult {
  for (let i = from; i < args.length; ) {
    const w = args[i]!;
    const v = w.value;
    if (mayBeFlag(w)) return local(`${tool}: ${show(v)} may expand to options or several words`);
    if (v.startsWith("--")) {
      const next = longOption(args, i, long, tool);
      if (typeof next !== "number") return next;
      i = next;
    } else if (v.startsWith("-") && v.length > 1) {
      const next = shortCluster(args, i, short);
      if (typeof next !== "number") return next;
      i = next;
    } else {
      const why = localTarget(tool, w);
      if (why !== undefined) return local(why);
      i++;
    }
  }
  return offload(confidence, tool);
}

export function judgeNinja(args: readonly WordToken[]): RuleResult {
  return optionsThenTargets("ninja", args, 0, NINJA_SHORT, NINJA_LONG, 0.95);
}

export function judgeMeson(args: readonly WordToken[]): RuleResult {
  const sub = args[0];
  if (sub?.value !== "compile" || !known(sub)) {
    return local(
      `meson: only 'meson compile' is offloaded (${sub ? show(sub.value) : "no subcommand"} is not)`,
    );
  }
  return optionsThenTargets("meson compile", args, 1, MESON_SHORT, MESON_LONG, 0.9);
}
