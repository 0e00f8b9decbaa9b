// In-tree artifacts move from the staging dir into the project only when that is safe.
import { afterEach, beforeEach, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { settleAfterPlacement } from "../../src/transfer/afterPlace.ts";
import { placeStaged } from "../../src/transfer/artifacts.ts";
import { scanTree } from "../../src/transfer/fingerprint.ts";
import { buildRules, compileRules } from "../../src/transfer/rules.ts";
import { rerootTextFile } from "../../src/transfer/textFix.ts";

let base: string;
let root: string;
let outside: string;
let stage: string;
const keep = compileRules(
  buildRules({ includes: [], excludes: [], familyExcludes: [], projectRoot: "/nonexistent" }),
);

beforeEach(() => {
  base = mkdtempSync("/tmp/rch-art-");
  root = join(base, "proj");
  outside = join(base, "outside");
  stage = join(root, ".rch-stage-test");
  for (const d of [root, outside, stage]) mkdirSync(d, { recursive: true });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const write = (p: string, body: string) => {
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, body);
};

test("new and unchanged files are placed; a file edited after the scan is kept", async () => {
  write(join(root, "edited.c"), "int v1;\n");
  write(join(root, "old.o"), "old object");
  const scan = scanTree(root, keep);
  await Bun.sleep(20);
  write(join(root, "edited.c"), "int v2; /* the agent's edit */\n");
  write(join(stage, "edited.c"), "int v1; /* rewritten by the build */\n");
  write(join(stage, "old.o"), "new object");
  write(join(stage, "sub/dir/new.o"), "fresh");
  const r = placeStaged(root, stage, scan);
  expect(r.placed.sort()).toEqual(["old.o", "sub/dir/new.o"]);
  expect(r.refused).toEqual([{ rel: "edited.c", why: "changed locally during the build" }]);
  expect(readFileSync(join(root, "edited.c"), "utf8")).toContain("the agent's edit");
  expect(readFileSync(join(root, "old.o"), "utf8")).toBe("new object");
  expect(readFileSync(join(root, "sub/dir/new.o"), "utf8")).toBe("fresh");
});

test("a file created locally during the build is not overwritten", async () => {
  const scan = scanTree(root, keep);
  await Bun.sleep(20);
  write(join(root, "gen.h"), "local");
  write(join(stage, "gen.h"), "remote");
  const r = placeStaged(root, stage, scan);
  expect(r.refused.map((x) => x.rel)).toEqual(["gen.h"]);
  expect(readFileSync(join(root, "gen.h"), "utf8")).toBe("local");
});

test("symlinks that escape the project are refused; links inside are placed as links", () => {
  const scan = scanTree(root, keep);
  symlinkSync("/etc/passwd", join(stage, "abs-link"));
  symlinkSync("../../outside/x", join(stage, "rel-escape"));
  mkdirSync(join(stage, "d"));
  symlinkSync("../inside.txt", join(stage, "d", "ok-link"));
  const r = placeStaged(root, stage, scan);
  expect(r.placed).toEqual(["d/ok-link"]);
  expect(r.refused.map((x) => x.rel).sort()).toEqual(["abs-link", "rel-escape"]);
  expect(readlinkSync(join(root, "d", "ok-link"))).toBe("../inside.txt");
  expect(existsSync(join(root, "abs-link"))).toBe(false);
});

test("nothing is written through a local symlinked dir that leads outside", () => {
  symlinkSync(outside, join(root, "out"));
  const scan = scanTree(root, keep);
  write(join(stage, "out", "evil.o"), "x");
  const r = placeStaged(root, stage, scan);
  expect(r.placed).toEqual([]);
  expect(r.refused[0]?.why).toContain("outside the project");
  expect(existsSync(join(outside, "evil.o"))).toBe(false);
});

test("a directory in the way is not replaced", () => {
  mkdirSync(join(root, "thing"));
  const scan = scanTree(root, keep);
  write(join(stage, "thing"), "file");
  expect(placeStaged(root, stage, scan).refused).toEqual([
    { rel: "thing", why: "a directory is in the way" },
  ]);
  expect(lstatSync(join(root, "thing")).isDirectory()).toBe(true);
});

test("after placement: a clean tree adopts the new fingerprint; an edited one ages the outputs", async () => {
  write(join(root, "a.c"), "a");
  const scan = scanTree(root, keep);
  write(join(stage, "a.o"), "obj");
  const r = placeStaged(root, stage, scan);
  expect(settleAfterPlacement(root, keep, scan, r.placed)?.hash).toBe(scanTree(root, keep).hash);

  const scan2 = scanTree(root, keep);
  await Bun.sleep(20);
  write(join(root, "a.c"), "edited during the build");
  write(join(stage, "b.o"), "obj");
  const r2 = placeStaged(root, stage, scan2);
  expect(settleAfterPlacement(root, keep, scan2, r2.placed)).toBeUndefined();
  expect(lstatSync(join(root, "b.o")).mtimeMs).toBeLessThan(lstatSync(join(root, "a.c")).mtimeMs);
});

test("returned text files get the local root back; binaries and symlinks are left alone", () => {
  write(join(root, "x.d"), "/remote/p-1/src/a.c: /remote/p-1/src/a.h\n");
  write(join(root, "x.bin"), "\0/remote/p-1");
  write(join(outside, "target.txt"), "/remote/p-1");
  symlinkSync(join(outside, "target.txt"), join(root, "link.d"));
  const pairs = [["/remote/p-1", root]] as const;
  const before = lstatSync(join(root, "x.d")).mtimeMs;
  expect(rerootTextFile(join(root, "x.d"), pairs)).toBe(true);
  expect(readFileSync(join(root, "x.d"), "utf8")).toBe(`${root}/src/a.c: ${root}/src/a.h\n`);
  expect(Math.abs(lstatSync(join(root, "x.d")).mtimeMs - before)).toBeLessThan(0.001);
  expect(rerootTextFile(join(root, "x.bin"), pairs)).toBe(false);
  expect(rerootTextFile(join(root, "link.d"), pairs)).toBe(false);
  expect(readFileSync(join(outside, "target.txt"), "utf8")).toBe("/remote/p-1");
});
