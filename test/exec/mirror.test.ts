// What the build deleted on the worker is deleted here only when that is safe (transfer/mirror.ts),
// and the tree state is adopted afterwards when nothing else moved (afterPlace.ts).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { settleAfterPlacement } from "../../src/transfer/afterPlace.ts";
import { scanTree } from "../../src/transfer/fingerprint.ts";
import { removeGone } from "../../src/transfer/mirror.ts";
import { buildRules, compileRules } from "../../src/transfer/rules.ts";

let base: string;
let root: string;
let outside: string;
// target/ is an output dir: not synced, so not in the scan (judged by ctime, as placement does).
const keep = compileRules(
  buildRules({ includes: [], excludes: [], familyExcludes: ["/target/"], projectRoot: "/nonexistent" }),
);

beforeEach(() => {
  base = mkdtempSync("/tmp/rch-mirror-");
  root = join(base, "proj");
  outside = join(base, "outside");
  for (const d of [root, outside]) mkdirSync(d, { recursive: true });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const write = (rel: string, body = "x\n", at = root) => {
  mkdirSync(join(at, rel, ".."), { recursive: true });
  writeFileSync(join(at, rel), body);
};
const skipIncremental = (rel: string) => rel.includes("/incremental/");

test("deleted: unchanged files of watched dirs; kept: edited ones; ignored: everything else", async () => {
  for (const f of [
    "target/a.rlib",
    "target/edited",
    "target/incremental/s",
    "build/old.o",
    "build/edited.o",
    "src/main.c",
  ])
    write(f);
  write("build/.git/index");
  mkdirSync(join(root, "target", "adir"));
  await Bun.sleep(30); // files not in the scan count as changed up to 10 ms before it began
  const scan = scanTree(root, keep);
  await Bun.sleep(20);
  write("target/edited", "changed here\n");
  write("build/edited.o", "changed here\n");
  const r = removeGone({
    root,
    dirs: ["target", "build"],
    skip: skipIncremental,
    gone: [
      "target/a.rlib",
      "target/edited",
      "target/incremental/s", // never pulled: never deleted
      "target/adir", // a directory: never
      "target/missing", // not here: nothing to do
      "build/old.o",
      "build/edited.o",
      "src/main.c", // not in a watched dir
      "target/../src/main.c",
      "/etc/passwd",
      "build/.git/index",
    ],
    base: scan,
  });
  expect(r.removed.sort()).toEqual(["build/old.o", "target/a.rlib"]);
  expect(r.kept.sort()).toEqual(["build/edited.o", "target/edited"]);
  for (const f of [
    "target/edited",
    "target/incremental/s",
    "target/adir",
    "build/edited.o",
    "src/main.c",
    "build/.git/index",
  ])
    expect(existsSync(join(root, f))).toBe(true);
});

test("never through a symlinked dir leading out of the project", () => {
  write("victim", "outside\n", outside);
  mkdirSync(join(root, "target"));
  symlinkSync(outside, join(root, "target", "out"));
  const scan = { entry: () => undefined, startedAt: Date.now() + 60_000 };
  const r = removeGone({
    root,
    dirs: ["target"],
    skip: () => false,
    gone: ["target/out/victim"],
    base: scan,
  });
  expect(r.removed).toEqual([]);
  expect(existsSync(join(outside, "victim"))).toBe(true);
});

test("after deletions only, the new tree state is adopted; with another change, it is not", () => {
  write("build/old.o");
  write("src/main.c");
  const scan = scanTree(root, keep);
  rmSync(join(root, "build", "old.o"));
  expect(settleAfterPlacement(root, keep, scan, [], ["build/old.o"])?.files).toBe(scan.files - 1);
  const scan2 = scanTree(root, keep);
  write("build/gone.o");
  const scan3 = scanTree(root, keep);
  rmSync(join(root, "build", "gone.o"));
  write("src/main.c", "edited\n");
  expect(settleAfterPlacement(root, keep, scan3, [], ["build/gone.o"])).toBeUndefined();
  expect(scan2.files).toBe(1);
});
