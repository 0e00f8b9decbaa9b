// What may differ between the rch run and the local run of the same command, and nothing more:
// the project copy's own directory, wall-clock figures the tools print, and orderings that the
// tool itself does not fix (parallel ninja jobs, bun's directory-order test files). Everything
// else, rch's own lines included, must be identical.

export interface NormalizeOptions {
  /** The project copy this output came from: replaced by <ROOT>. */
  root: string;
  /** ninja finishes parallel jobs in any order and numbers them as they finish: drop the
   * "[3/4]" counters and sort the lines. */
  ninja?: boolean;
  /** Sort bun's per-file blocks (bun runs test files in readdir order, which differs between
   * ext4 locally and tmpfs on the worker). */
  sortBunFiles?: boolean;
}

const timings: [RegExp, string][] = [
  // cargo: "Finished `dev` profile [unoptimized + debuginfo] target(s) in 0.42s"
  [/^(\s*Finished .* in )\d+(\.\d+)?m?s$/gm, "$1<T>"],
  // cargo test: "test result: ok. 4 passed; …; finished in 0.00s"
  [/(; finished in )\d+(\.\d+)?m?s$/gm, "$1<T>"],
  // Rust ≥ 1.9x names the panicking thread's id: "thread 'tests::x' (30761) panicked at"
  [/^(thread '[^']*' )\(\d+\)( panicked at)/gm, "$1(<TID>)$2"],
  // bun test: "(pass) slug [0.41ms]", "Ran 4 tests across 2 files. [7.00ms]" (present or not)
  [/ \[\d+(\.\d+)?m?s\]$/gm, ""],
];

function sortBunBlocks(text: string): string {
  // A block starts with a line naming a test file ("test/util.test.js:") and runs until the
  // next such line or the summary (a line starting with a space and a count).
  const lines = text.split("\n");
  const head: string[] = [];
  const blocks: string[][] = [];
  const tail: string[] = [];
  for (const line of lines) {
    if (/^\S+\.(test|spec)\.[cm]?[jt]sx?:$/.test(line)) blocks.push([line]);
    else if (blocks.length === 0) head.push(line);
    else if (tail.length > 0 || /^ \d+ (pass|fail|skip|todo)/.test(line)) tail.push(line);
    else blocks[blocks.length - 1]!.push(line);
  }
  blocks.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  // The blank line between blocks moves with the block order: trim and re-join uniformly.
  const body = blocks.map((b) => b.join("\n").replace(/\n+$/, "")).join("\n\n");
  return [...head, body, "", ...tail].join("\n");
}

/** cargo compiles independent crates (and build scripts) in parallel and prints "Compiling x"
 * as each starts: a run of such lines has no fixed order. */
function sortCargoCompiling(text: string): string {
  const lines = text.split("\n");
  const isCompiling = (l: string) => /^\s+Compiling \S+ v/.test(l);
  for (let i = 0; i < lines.length; ) {
    if (!isCompiling(lines[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && isCompiling(lines[j]!)) j++;
    const run = lines.slice(i, j).sort();
    lines.splice(i, run.length, ...run);
    i = j;
  }
  return lines.join("\n");
}

export function normalize(text: string, opts: NormalizeOptions): string {
  let out = sortCargoCompiling(text.replaceAll(opts.root, "<ROOT>"));
  for (const [re, sub] of timings) out = out.replace(re, sub);
  if (opts.sortBunFiles) out = sortBunBlocks(out);
  if (opts.ninja) {
    out = out
      .replace(/^\[\d+\/(\d+)\] /gm, "[#/$1] ")
      .split("\n")
      .sort()
      .join("\n");
  }
  return out;
}

/** rch's own fallback notice: exactly one line, `rch: running locally: <why>`. */
export const FALLBACK_RE = /^rch: running locally: (.+)$/m;

/** Splits rch's own lines (`rch: …`) from the build's stderr. */
export function splitRchLines(stderr: string): { rch: string[]; rest: string } {
  const rch: string[] = [];
  const rest: string[] = [];
  for (const line of stderr.split(/(?<=\n)/)) (/^rch: /.test(line) ? rch : rest).push(line);
  return { rch: rch.map((l) => l.replace(/\n$/, "")), rest: rest.join("") };
}
