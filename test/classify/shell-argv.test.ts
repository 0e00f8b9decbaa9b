// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell command lines
// The crucial property: when a real shell runs the rewritten line, `rch exec` receives exactly the
// argv (assignments included) the build tool would have received from the original line.
// Fake `cargo` and fake `rch` both print their argv NUL-separated; their outputs must be equal.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { classify } from "../../src/classify/index.ts";

let dir = "";
let prefix = "";
const shells = ["/bin/sh", "/bin/bash"].filter((s) => Bun.spawnSync([s, "-c", "true"]).exitCode === 0);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rch-classify-"));
  // What the build tool sees: its env var A, its name, its arguments.
  writeFileSync(join(dir, "cargo"), `#!/bin/sh\nprintf '%s\\0' "A=$A" cargo "$@"\n`);
  // What rch exec sees after `exec --`.
  writeFileSync(
    join(dir, "rch"),
    `#!/bin/sh\n[ "$1" = exec ] && [ "$2" = -- ] || exit 99\nshift 2\nprintf '%s\\0' "$@"\n`,
  );
  chmodSync(join(dir, "cargo"), 0o755);
  chmodSync(join(dir, "rch"), 0o755);
  writeFileSync(join(dir, "some file.txt"), "");
  prefix = `'${dir.replaceAll("'", "'\\''")}/rch' exec -- `;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs every line as `sh -c LINE` would, but all of them inside ONE shell process (a `sh -c` per
 * line doubled the process starts): each line is eval'd in its own subshell, so it is parsed and
 * expanded exactly as `-c` would, and cannot disturb the next. stdin is /dev/null, stderr is
 * dropped, stdout is kept per line (it holds NUL bytes).
 */
function runAll(shell: string, lines: string[]): { code: number; out: Buffer }[] {
  // Outside `dir`: lines glob `*` there.
  const work = mkdtempSync(join(tmpdir(), "rch-classify-batch-"));
  try {
    writeFileSync(join(work, "lines"), lines.map((l) => `${l}\n`).join(""));
    const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    // Names no generated line can expand: every `$` in the vocabulary is quoted or is $HOME.
    const script = [
      "rch_batch_i=0",
      "while IFS= read -r rch_batch_line <&3; do",
      "  rch_batch_i=$((rch_batch_i + 1))",
      `  ( eval "$rch_batch_line" ) 3<&- </dev/null >${q(work)}/"$rch_batch_i" 2>/dev/null`,
      `  printf '%s\\n' "$?"`,
      `done 3<${q(join(work, "lines"))}`,
    ].join("\n");
    const r = Bun.spawnSync([shell, "-c", script], {
      cwd: dir,
      // A HOME with a space exercises field splitting of unquoted expansions.
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: "/home/some user", LANG: "C.UTF-8" },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
    });
    expect({ shell, code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ shell, code: 0, stderr: "" });
    const codes = r.stdout.toString().trim().split("\n").map(Number);
    expect(codes).toHaveLength(lines.length);
    return codes.map((code, i) => ({ code, out: readFileSync(join(work, String(i + 1))) }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const clean = (s: string) => !/[\n\r\0`]/.test(s) && !s.includes("$(") && !s.startsWith("-");
const text = fc
  .oneof(fc.string({ maxLength: 10 }), fc.string({ unit: "grapheme", maxLength: 6 }))
  .filter(clean);

/** One argument spelled in a random but valid way. */
const arg = fc.oneof(
  text.map((s) => `'${s.replaceAll("'", "'\\''")}'`),
  text.map((s) => `"${s.replace(/[\\"$`]/g, "\\$&")}"`),
  text
    .filter((s) => s !== "")
    .map((s) => s.replace(/[\s\S]/g, (c) => (/[A-Za-z0-9_]/.test(c) ? c : `\\${c}`))),
  fc.stringMatching(/^[A-Za-z0-9_.,:/=+%@][A-Za-z0-9_.,:/=+%@-]{0,8}$/),
  fc.constantFrom(
    "$HOME", '"$HOME"', "${HOME}/x", '"${HOME}"/y', "x$HOME", "'$HOME'", "\\$HOME", "*.none", "*", "'*'",
    "--release", "-p", "foo", "--", "--nocapture", "-j4", "é", "🦀", "a\u00a0b", "'a  b'", '""', "''",
    "{a,b}", "x=1", "A=2", "'#'", "a#b", "\\#", "%", "~", "~/x", "'~'",
  ), // biome-ignore format: vocabulary list
);

const assignment = fc.oneof(
  fc.constant("A=1"),
  text.map((s) => `A='${s.replaceAll("'", "'\\''")}'`),
  text.map((s) => `A="${s.replace(/[\\"$`]/g, "\\$&")}"`),
  fc.constantFrom("A=", 'A="$HOME"', "A=a\\ b", "A='~/x'", 'A="${HOME}"x'),
);
/** Assignments that a shell expands differently once they are arguments: must stay local. */
const divergent = fc.constantFrom("A=~/x", "A=$HOME", "A=${HOME}", "A=*", "A={a,b}", "A=x:~/y");

const front = fc.constantFrom("", "env ", "true && ", "cd . && ");
const back = fc.constantFrom("", " 2>&1", " 2>/dev/null", " | cat", " && true", "; true", " # note 'x", " ;");

describe("shell argv", () => {
  test("rch exec receives exactly the original argv", () => {
    expect(shells.length).toBeGreaterThan(0);
    const lineCase = fc
      .tuple(front, assignment, fc.array(arg, { maxLength: 6 }), back)
      .map(([f, a, args, b]) => ({ env: f === "env ", line: `${f}${a} cargo build ${args.join(" ")}${b}` }));
    // 150 lines in one batch per shell (4 shell processes instead of 600 `sh -c` starts; each line
    // still execs its fake tool once: 5–10 s here, so the budget allows for a machine 4× slower
    // under load). The seed is in every failure message; FC_SEED=<n> replays it.
    const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const cases = fc.sample(lineCase, { numRuns: 150, seed });
    const rewritten = cases.map(({ line }) => {
      const r = classify(line, { prefix });
      expect({ seed, line, kind: r.kind }).toEqual({ seed, line, kind: "offload" });
      return r.kind === "offload" ? r.rewritten : line;
    });
    for (const shell of shells) {
      const original = runAll(
        shell,
        cases.map((c) => c.line),
      );
      const viaRch = runAll(shell, rewritten);
      for (const [i, { line, env }] of cases.entries()) {
        const [o, w] = [original[i]!, viaRch[i]!];
        expect({ seed, shell, line, code: w.code }).toEqual({ seed, shell, line, code: o.code });
        const want = env ? Buffer.concat([Buffer.from("env\0"), o.out]) : o.out;
        // Byte comparison: arguments may hold any UTF-8.
        expect({ seed, shell, line, argv: w.out.toString("latin1") }).toEqual({
          seed,
          shell,
          line,
          argv: want.toString("latin1"),
        });
      }
    }
  }, 120_000);

  test("assignments that would expand differently as arguments stay local", () => {
    fc.assert(
      fc.property(front, divergent, fc.array(arg, { maxLength: 3 }), back, (f, a, args, b) => {
        const line = `${f}${a} cargo build ${args.join(" ")}${b}`;
        if (f === "env ") return; // env's arguments are arguments in both lines
        expect({ line, kind: classify(line, { prefix }).kind }).toEqual({ line, kind: "local" });
      }),
      { numRuns: 200 },
    );
  });
});
