// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell command lines
// The crucial property: when a real shell runs the rewritten line, `rch exec` receives exactly the
// argv (assignments included) the build tool would have received from the original line.
// Fake `cargo` and fake `rch` both print their argv NUL-separated; their outputs must be equal.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

function run(shell: string, line: string): { code: number; out: Buffer } {
  const r = Bun.spawnSync([shell, "-c", line], {
    cwd: dir,
    // A HOME with a space exercises field splitting of unquoted expansions.
    env: { PATH: `${dir}:/usr/bin:/bin`, HOME: "/home/some user", LANG: "C.UTF-8" },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, out: Buffer.from(r.stdout) };
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
    fc.assert(
      fc.property(front, assignment, fc.array(arg, { maxLength: 6 }), back, (f, a, args, b) => {
        const line = `${f}${a} cargo build ${args.join(" ")}${b}`;
        const r = classify(line, { prefix });
        expect({ line, kind: r.kind }).toEqual({ line, kind: "offload" });
        if (r.kind !== "offload") return;
        for (const shell of shells) {
          const original = run(shell, line);
          const rewritten = run(shell, r.rewritten);
          expect({ shell, line, code: rewritten.code }).toEqual({ shell, line, code: original.code });
          const want = f === "env " ? Buffer.concat([Buffer.from("env\0"), original.out]) : original.out;
          // Byte comparison: arguments may hold any UTF-8.
          expect({ shell, line, argv: rewritten.out.toString("latin1") }).toEqual({
            shell,
            line,
            argv: want.toString("latin1"),
          });
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);

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
