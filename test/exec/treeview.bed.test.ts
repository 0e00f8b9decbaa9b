// End to end on the bed: after each kind of change, the worker's copy equals the local tree
// before the build starts, while rch exec learns what changed from rchd's live view (issue 11).
// The build itself lists the copy (types, modes, sizes, link targets, checksums), so its output
// is the copy as the build saw it; the same listing runs locally.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { run } from "../bed/proc.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureBinary, type RchEnv, rchEnv } from "./bedEnv.ts";

setDefaultTimeout(120_000);

// Dirs by type and mode only: their sizes are the file system's own (tmpfs on the bed).
const LIST =
  "{ find . -mindepth 1 ! -type d -printf '%y %m %s %l %p\\n'; find . -mindepth 1 -type d -printf '%y %m %p\\n'; } | LC_ALL=C sort; " +
  "find . -type f -exec md5sum {} + | LC_ALL=C sort";

let fleet: Fleet;
let env: RchEnv;
let rch: string;
let proj: string;

const p = (...parts: string[]) => join(proj, ...parts);

beforeAll(async () => {
  [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: [] }), ensureBinary()]);
  env = rchEnv(fleet);
  proj = join(env.dir, "proj");
  for (let d = 0; d < 20; d++) {
    mkdirSync(p("src", `d${d}`, "sub"), { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(p("src", `d${d}`, `f${f}.c`), `int f${f};\n`);
    writeFileSync(p("src", `d${d}`, "sub", "x.h"), `#define X${d}\n`);
  }
  writeFileSync(p("Makefile"), `all:\n\t@${LIST.replaceAll("$", "$$")}\n`);
  // The first build syncs in full and starts rchd's view; poll until a build uses it.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await build();
    if (r.stderr.includes("live view")) break;
    if (Date.now() > deadline) throw new Error(`rchd's view never answered:\n${r.stderr}`);
  }
}, 180_000);

afterAll(async () => {
  if (env) await run([rch, "daemon", "stop"], { env: env.env, timeoutMs: 20_000 }).catch(() => undefined);
  await cleanUp(
    () => env?.cleanup(),
    () => fleet?.stop(),
  );
});

async function build() {
  const r = await run([rch, "exec", "-v", "--", "make"], { cwd: proj, env: env.env, timeoutMs: 60_000 });
  expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
  return r;
}

async function expectCopyEqualsTree(what: string, viaView = true) {
  const r = await build();
  const here = await run(["sh", "-c", LIST], { cwd: proj, timeoutMs: 30_000 });
  expect({ what, copy: r.stdout }).toEqual({ what, copy: here.stdout });
  if (viaView) expect({ what, used: r.stderr.includes("rchd's live view") }).toEqual({ what, used: true });
}

test("an edit keeping size and mtime second", async () => {
  const f = p("src", "d1", "f1.c");
  const st = statSync(f);
  writeFileSync(
    f,
    "int g1;\n"
      .padEnd(st.size - 1, " ")
      .concat("\n")
      .slice(0, st.size),
  );
  utimesSync(f, st.atime, new Date(Math.floor(st.mtimeMs / 1000) * 1000 + 1));
  await expectCopyEqualsTree("edit");
});

test("create, delete, append", async () => {
  writeFileSync(p("src", "d2", "new.c"), "int n;\n");
  unlinkSync(p("src", "d2", "f3.c"));
  appendFileSync(p("src", "d2", "f4.c"), "int more;\n");
  await expectCopyEqualsTree("create/delete");
});

test("rename a file and a directory", async () => {
  renameSync(p("src", "d3", "f5.c"), p("src", "d3", "renamed.c"));
  renameSync(p("src", "d4"), p("src", "d4moved"));
  await expectCopyEqualsTree("rename");
});

test("chmod a file and a directory", async () => {
  chmodSync(p("src", "d5", "f6.c"), 0o755);
  chmodSync(p("src", "d5", "sub"), 0o700);
  await expectCopyEqualsTree("chmod");
});

test("a file replaced by a symlink, a symlink retargeted, a dir replaced by a file", async () => {
  unlinkSync(p("src", "d6", "f7.c"));
  symlinkSync("f8.c", p("src", "d6", "f7.c"));
  await expectCopyEqualsTree("file → symlink");
  unlinkSync(p("src", "d6", "f7.c"));
  symlinkSync("f9.c", p("src", "d6", "f7.c"));
  rmSync(p("src", "d7", "sub"), { recursive: true });
  writeFileSync(p("src", "d7", "sub"), "now a file\n");
  await expectCopyEqualsTree("symlink swap, dir → file");
});

test("a dir removed and made again with other contents (a checkout)", async () => {
  rmSync(p("src", "d8"), { recursive: true });
  mkdirSync(p("src", "d8"));
  writeFileSync(p("src", "d8", "only.c"), "int only;\n");
  await expectCopyEqualsTree("dir recreated");
});

test("a bulk change of thousands of files (rsync then, the view stays right)", async () => {
  for (let d = 9; d < 20; d++)
    for (let f = 0; f < 50; f++) appendFileSync(p("src", `d${d}`, `f${f}.c`), "//\n");
  for (let i = 0; i < 2000; i++) writeFileSync(p("src", `bulk${i % 10}.c`), `int b${i};\n`);
  await expectCopyEqualsTree("bulk", false);
  // and the next small change goes through the view again
  writeFileSync(p("src", "d9", "after.c"), readFileSync(p("src", "d9", "f0.c")));
  await expectCopyEqualsTree("after bulk");
});

test("outputs a build writes in the tree come back, and the next build finds nothing to send", async () => {
  writeFileSync(p("gen.mk"), "all:\n\t@mkdir -p out && echo $$$$ > out/o.txt && echo x >> src/d0/f0.c\n");
  await build(); // sends gen.mk
  const r = await run([rch, "exec", "-v", "--", "make", "-f", "gen.mk"], {
    cwd: proj,
    env: env.env,
    timeoutMs: 60_000,
  });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("rchd's live view");
  expect(readFileSync(p("out", "o.txt"), "utf8")).toMatch(/^\d+\n$/);
  const next = await build();
  expect(next.stderr).toContain("sync: skipped, tree unchanged");
  await expectCopyEqualsTree("after returned outputs");
});
