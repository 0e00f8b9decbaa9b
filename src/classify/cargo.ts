// cargo: `cargo [+toolchain] [global options] SUBCOMMAND [args]`. Only the build-like subcommands
// are offloaded; options before the subcommand must be ones we know (an unknown one might take a
// value that we would misread as the subcommand).

import {
  known,
  type LongSpec,
  local,
  longOption,
  mayBeFlag,
  offload,
  type RuleResult,
  show,
} from "./args.ts";
import type { WordToken } from "./tokenize.ts";

interface Subcommand {
  confidence: number;
  label: string;
  /** Options that make this subcommand unsafe to run elsewhere, with why. */
  localFlags?: Readonly<Record<string, string>>;
}

const FIX = { "--fix": "rewrites the source tree" };
const OPEN = { "--open": "opens a browser on this machine" };

/** Offloadable subcommands. One-letter aliases score lower: a project's [alias] may redefine them. */
export const CARGO_SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  build: { confidence: 0.95, label: "cargo build" },
  b: { confidence: 0.9, label: "cargo b (build)" },
  check: { confidence: 0.95, label: "cargo check" },
  c: { confidence: 0.9, label: "cargo c (check)" },
  test: { confidence: 0.95, label: "cargo test" },
  t: { confidence: 0.9, label: "cargo t (test)" },
  run: { confidence: 0.9, label: "cargo run" },
  r: { confidence: 0.9, label: "cargo r (run)" },
  clippy: { confidence: 0.95, label: "cargo clippy", localFlags: FIX },
  doc: { confidence: 0.9, label: "cargo doc", localFlags: OPEN },
  bench: { confidence: 0.9, label: "cargo bench" },
};

const NEXTEST_RUN: Subcommand = { confidence: 0.9, label: "cargo nextest run" };

/** Test-harness flags that rewrite expected output in the source tree (compiletest, ui_test). */
const COMMON_LOCAL_FLAGS: Readonly<Record<string, string>> = { "--bless": "rewrites expected test output" };

/** The one-letter aliases cargo itself defines (the timing history files `t` under `test`). */
export const CARGO_ALIASES: Readonly<Record<string, string>> = {
  b: "build",
  c: "check",
  t: "test",
  r: "run",
};

/** Global options before the subcommand whose value is the next word. */
export const CARGO_GLOBAL_VALUED: ReadonlySet<string> = new Set([
  "--manifest-path",
  "--config",
  "--color",
  "--target-dir",
  "--lockfile-path",
  "-Z",
  "-C",
]);

/** Global options accepted before the subcommand. */
const GLOBAL: LongSpec = {
  value: CARGO_GLOBAL_VALUED,
  flag: new Set(["--verbose", "--quiet", "--frozen", "--locked", "--offline"]),
};
const GLOBAL_SHORT = /^(-v+|-q|-[ZC].+)$/;
const TOOLCHAIN = /^\+[A-Za-z0-9._-]+$/;

export function judgeCargo(args: readonly WordToken[]): RuleResult {
  let i = 0;
  const first = args[0];
  if (first?.value.startsWith("+")) {
    if (!known(first) || !TOOLCHAIN.test(first.value)) return local(`cargo: toolchain ${show(first.value)}`);
    i = 1;
  }
  while (i < args.length && args[i]!.value.startsWith("-")) {
    const w = args[i]!;
    if (!known(w)) return local(`cargo: option ${show(w.value)} before the subcommand is not literal`);
    if (GLOBAL_SHORT.test(w.value)) {
      i++;
      continue;
    }
    const next = longOption(args, i, GLOBAL, "cargo");
    if (typeof next !== "number") return next;
    i = next;
  }
  const subWord = args[i];
  if (!subWord) return local("cargo: no subcommand");
  if (!known(subWord) || mayBeFlag(subWord))
    return local(`cargo: subcommand ${show(subWord.value)} is not literal`);
  let sub: Subcommand | undefined;
  let rest = i + 1;
  if (subWord.value === "nextest") {
    const runWord = args[i + 1];
    if (runWord?.value !== "run" || !known(runWord)) return local("cargo nextest: only 'run' is offloaded");
    sub = NEXTEST_RUN;
    rest = i + 2;
  } else if (Object.hasOwn(CARGO_SUBCOMMANDS, subWord.value)) {
    sub = CARGO_SUBCOMMANDS[subWord.value];
  }
  if (!sub) return local(`cargo: subcommand ${show(subWord.value)} is not a build`);
  for (let j = rest; j < args.length; j++) {
    const w = args[j]!;
    const bad = flagIn(w.value, sub.localFlags) ?? flagIn(w.value, COMMON_LOCAL_FLAGS);
    if (bad) return local(`${sub.label}: ${bad}`);
    if (sub.localFlags && mayBeFlag(w)) {
      return local(
        `${sub.label}: ${show(w.value)} could expand to ${Object.keys(sub.localFlags).join(", ")}`,
      );
    }
  }
  return offload(sub.confidence, sub.label);
}

/** `--flag` or `--flag=…` listed in `flags` → "--flag <why>". */
function flagIn(v: string, flags: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!flags || !v.startsWith("--")) return undefined;
  const eq = v.indexOf("=");
  const name = eq < 0 ? v : v.slice(0, eq);
  return Object.hasOwn(flags, name) ? `${name} ${flags[name]}` : undefined;
}
