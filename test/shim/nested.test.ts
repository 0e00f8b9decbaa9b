// No double and no nested offload, with real make and cc: a build rch placed is marked
// (RCH_NESTED), and a shim that sees the marker runs the real tool at once. Observed through
// `rch exec`'s own lines (RCH_VERBOSE=1: one per rch exec; no workers here, so each runs the
// build locally and says so) and the marker the tool's recipe prints.
import { afterEach, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureRchBuilt } from "../support/rch-binary.ts";
import { installShims, isolatedEnv, runIn, Scratch } from "./support.ts";

let s: Scratch;
afterEach(() => s?.dispose());

const rchLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("rch: "));

/** A C project whose Makefile puts the shims back in front of PATH, as a login shell or a
 * script might: its `cc` then really goes through the cc shim. */
function project(shim: string, extra = ""): string {
  const dir = s.dir("proj");
  writeFileSync(join(dir, "hello.c"), '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n');
  writeFileSync(
    join(dir, "Makefile"),
    [
      `export PATH := ${shim}:$(PATH)`,
      extra,
      "hello: hello.c",
      '\t@echo "make: nested=$$RCH_NESTED cc=$$(command -v cc)"',
      "\tcc -o hello hello.c",
      "",
    ].join("\n"),
  );
  return dir;
}

test("make through the shim calling cc through the shim: one offload (make's), cc runs inside it", async () => {
  s = new Scratch();
  const shim = await installShims(s, s.path("shim"));
  const dir = project(shim);
  const env = isolatedEnv(s, `${shim}:/usr/bin:/bin`, { RCH_VERBOSE: "1" });
  const r = await runIn(["sh", "-c", "make"], { cwd: dir, env });
  expect(r.code).toBe(0);
  expect(rchLines(r.stderr)).toEqual([expect.stringMatching(/running locally: no workers configured$/)]);
  // rch exec ran make (marker "1"); make's cc resolves to the shim, which ran the real cc.
  expect(r.stdout).toContain(`make: nested=1 cc=${shim}/cc`);
  expect(existsSync(join(dir, "hello"))).toBe(true);
});

test("control: without the marker the same cc is offloaded on its own (the test can fail)", async () => {
  s = new Scratch();
  const shim = await installShims(s, s.path("shim"));
  const dir = project(shim, "unexport RCH_NESTED");
  const env = isolatedEnv(s, `${shim}:/usr/bin:/bin`, { RCH_VERBOSE: "1" });
  const r = await runIn(["sh", "-c", "make"], { cwd: dir, env });
  expect(r.code).toBe(0);
  expect(rchLines(r.stderr)).toHaveLength(2);
});

test("a hook-style rch exec -- make whose local run finds make through the shim: not offloaded twice", async () => {
  s = new Scratch();
  const shim = await installShims(s, s.path("shim"));
  const dir = project(shim);
  const env = isolatedEnv(s, `${shim}:/usr/bin:/bin`, { RCH_VERBOSE: "1" });
  const r = await runIn([await ensureRchBuilt(), "exec", "--", "make"], { cwd: dir, env });
  expect(r.code).toBe(0);
  expect(rchLines(r.stderr)).toHaveLength(1);
  // The make shim ran it (it re-marks with its own pid) instead of asking rch again.
  expect(r.stdout).toMatch(/^make: nested=shim:\d+ cc=/m);
  expect(existsSync(join(dir, "hello"))).toBe(true);
});
