// C/C++ compiler drivers (gcc g++ cc c++ clang clang++) and rustc: offloaded only when they
// compile or link real inputs. Queries (versions, search paths, preprocess-only, dependency lists)
// and stdin input stay local.

import { local, offload, type RuleResult, show } from "./args.ts";
import { F_LEAD, F_SPLIT, type WordToken } from "./tokenize.ts";

/** Expands to words we cannot see (`$CFLAGS`); globs like `src/*.c` still name their inputs. */
const unseen = (w: WordToken): boolean => (w.flags & (F_LEAD | F_SPLIT)) !== 0;

/** Driver options whose value is the next word (so `-o foo.c` names an output, not an input). */
const CC_VALUE_FLAGS = new Set(
  (
    "-o -I -L -l -D -U -x -include -imacros -isystem -idirafter -iquote -isysroot " +
    "-iprefix -iwithprefix -iwithprefixbefore -MF -MT -MQ -Xlinker -Xassembler " +
    "-Xpreprocessor -Xclang -arch -target -T -u -z -B -F --sysroot --param -aux-info " +
    "-framework -rpath"
  ).split(" "),
);

/** Exact options that turn the driver into a query instead of a build. */
const CC_LOCAL: Readonly<Record<string, string>> = {
  "-E": "only preprocesses",
  "-M": "only lists dependencies",
  "-MM": "only lists dependencies",
  "-###": "only prints the commands it would run",
  "--target-help": "asks for help",
};
/** Option prefixes with the same effect (`-dumpversion`, `-print-search-dirs`, `--print-file-name=`). */
const CC_LOCAL_PREFIX: readonly (readonly [string, string])[] = [
  ["-dump", "prints compiler information"],
  ["-print-", "prints compiler information"],
  ["--print-", "prints compiler information"],
];

const SOURCE = /\.(?:c|cc|cp|cpp|cxx|c\+\+|C|CC|CPP|i|ii|s|S|sx|m|mm|M|mi|mii)$/;
const OBJECT = /\.(?:o|obj|a|lo|dylib|so(?:\.[0-9]+)*)$/;

export function judgeCc(args: readonly WordToken[], name: string): RuleResult {
  if (args.length === 1 && args[0]!.value === "-v") return local(`${name}: -v alone prints the version`);
  let sources = 0;
  let objects = 0;
  let compileOnly = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v === "-") return local(`${name}: '-' reads the source from stdin`);
    if (unseen(w) || v.startsWith("@")) continue; // expands to unknown flags or inputs
    if (v.startsWith("-")) {
      const why = Object.hasOwn(CC_LOCAL, v)
        ? CC_LOCAL[v]
        : CC_LOCAL_PREFIX.find(([p]) => v.startsWith(p))?.[1];
      if (why !== undefined) return local(`${name}: ${show(v)} ${why}`);
      if (v === "-c" || v === "-S") compileOnly = true;
      if (CC_VALUE_FLAGS.has(v)) i++;
      continue;
    }
    if (SOURCE.test(v)) sources++;
    else if (OBJECT.test(v)) objects++;
  }
  if (sources > 0)
    return offload(0.95, `${name}: ${compileOnly ? "compiles" : "compiles and links"} sources`);
  if (objects > 0) return offload(0.9, `${name}: links object files`);
  return local(`${name}: no source or object input`);
}

/** rustc options whose value is the next word. */
const RUSTC_VALUE_FLAGS = new Set(
  (
    "-o --out-dir --crate-name --edition --crate-type -L -l --extern --cfg " +
    "--check-cfg --target -C --codegen -W -A -D -F --warn --allow --deny --forbid " +
    "--force-warn --cap-lints --emit --sysroot --error-format --json --color " +
    "--remap-path-prefix -Z --diagnostic-width"
  ).split(" "),
);

export function judgeRustc(args: readonly WordToken[]): RuleResult {
  let sources = 0;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (v === "-") return local("rustc: '-' reads the source from stdin");
    if (v === "help" || v.endsWith("=help")) return local(`rustc: ${show(v)} asks for help`);
    if (v === "--print" || v.startsWith("--print=")) return local("rustc: --print only prints information");
    if (v === "--explain" || v.startsWith("--explain=")) return local("rustc: --explain only prints docs");
    if (unseen(w)) continue;
    if (v.startsWith("-")) {
      if (v.endsWith("help")) return local(`rustc: ${show(v)} asks for help`); // -Chelp, -Whelp
      if (RUSTC_VALUE_FLAGS.has(v)) {
        const value = args[++i]?.value ?? "";
        if (value === "help" || value.endsWith("=help")) return local(`rustc: ${v} ${value} asks for help`);
      }
      continue;
    }
    if (v.endsWith(".rs")) sources++;
  }
  return sources > 0 ? offload(0.9, "rustc: compiles a source file") : local("rustc: no .rs input");
}
