// End to end on the bed: with exec.overlay_min_files = 0, a same-path build learns its in-tree
// changes from an overlay on the worker (src/worker/run.sh, "In-tree changes through an
// overlay"), and what it made comes back exactly as the walk would bring it: new files in new
// and existing dirs, a changed file, a dir moved by mv; the next local make has nothing to do.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { run } from "../bed/proc.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureBinary, type RchEnv, rchEnv } from "./bedEnv.ts";

setDefaultTimeout(120_000);

let fleet: Fleet;
let env: RchEnv;
let rch: string;
let proj: string;
const p = (...parts: string[]) => join(proj, ...parts);

const MAKEFILE = [
  "all: gen/version.h src/x.o",
  "\t@stat -f -c 'fs=%T' .",
  "gen/version.h: version.txt",
  "\t@mkdir -p gen && cp version.txt gen/version.h",
  "src/x.o: src/x.c",
  "\t@cp src/x.c src/x.o",
  "",
].join("\n");

beforeAll(async () => {
  [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: [] }), ensureBinary()]);
  env = rchEnv(fleet);
  writeFileSync(join(env.dir, "config", "config.toml"), "[exec]\noverlay_min_files = 0\n");
  proj = join(env.dir, "proj");
  mkdirSync(p("src"), { recursive: true });
  mkdirSync(p("olddir"), { recursive: true });
  writeFileSync(p("Makefile"), MAKEFILE);
  writeFileSync(p("version.txt"), "#define V 1\n");
  writeFileSync(p("src", "x.c"), "int x;\n");
  writeFileSync(p("olddir", "kept"), "kept\n");
}, 180_000);

afterAll(async () => {
  if (env) await run([rch, "daemon", "stop"], { env: env.env, timeoutMs: 20_000 }).catch(() => undefined);
  await cleanUp(
    () => env?.cleanup(),
    () => fleet?.stop(),
  );
});

async function rchExec(...argv: string[]) {
  const r = await run([rch, "exec", "-v", "--", ...argv], { cwd: proj, env: env.env, timeoutMs: 60_000 });
  expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
  return r;
}

async function upToDate(): Promise<number> {
  return (await run(["make", "-q", "gen/version.h", "src/x.o"], { cwd: proj, timeoutMs: 30_000 })).code;
}

test("a build through the overlay returns its new and changed files; local make then has nothing to do", async () => {
  const first = await rchExec("make");
  expect(first.stdout).toContain("fs=overlayfs");
  expect(first.stderr).toMatch(/remote: make exited 0/);
  expect(readFileSync(p("gen", "version.h"), "utf8")).toBe("#define V 1\n");
  expect(readFileSync(p("src", "x.o"), "utf8")).toBe("int x;\n");
  expect(await upToDate()).toBe(0);

  writeFileSync(p("version.txt"), "#define V 2\n");
  await rchExec("make");
  expect(readFileSync(p("gen", "version.h"), "utf8")).toBe("#define V 2\n");
  expect(await upToDate()).toBe(0);
});

test("a dir the build moves with mv comes back at its new name", async () => {
  await rchExec("sh", "-c", "mv olddir newdir && echo made >newdir/made");
  expect(readFileSync(p("newdir", "kept"), "utf8")).toBe("kept\n");
  expect(readFileSync(p("newdir", "made"), "utf8")).toBe("made\n");
  // In-tree deletions are not mirrored here (as with the walk): the local olddir stays.
  expect(existsSync(p("olddir", "kept"))).toBe(true);
});
