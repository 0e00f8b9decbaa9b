// The filter rules rsync gets and the fingerprint walk applies are one list with one meaning.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scanTree } from "../../src/transfer/fingerprint.ts";
import { buildRules, compileRules, rsyncFilterArgs } from "../../src/transfer/rules.ts";

const dir = mkdtempSync("/tmp/rch-rules-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(rel: string, body = "x") {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), body);
}

const keep = compileRules(
  buildRules({
    includes: ["keep.rlib"],
    excludes: ["target/", ".git/objects/", "*.rlib", "/build/", "docs/**/*.tmp", "cache/***"],
    familyExcludes: ["/out/"],
    projectRoot: dir,
  }),
);

test("rsync pattern semantics: names, anchors, dir-only, **, ***, include before exclude", () => {
  expect(keep("src/main.rs", "main.rs", false)).toBe(true);
  expect(keep("target", "target", true)).toBe(false);
  expect(keep("crates/a/target", "target", true)).toBe(false); // unanchored dir pattern
  expect(keep("target", "target", false)).toBe(true); // a *file* named target is not a dir
  // The objects dir itself stays (empty), so git can open the copy: only what is inside is left out.
  expect(keep(".git/objects", "objects", true)).toBe(true);
  expect(keep(".git/objects/pack", "pack", true)).toBe(false);
  expect(keep(".git/objects/ab", "ab", true)).toBe(false);
  expect(keep(".git/index", "index", false)).toBe(true);
  expect(keep(".git/refs", "refs", true)).toBe(true);
  expect(keep("x/libfoo.rlib", "libfoo.rlib", false)).toBe(false);
  expect(keep("x/keep.rlib", "keep.rlib", false)).toBe(true); // include wins: it comes first
  expect(keep("build", "build", true)).toBe(false);
  expect(keep("sub/build", "build", true)).toBe(true); // anchored at the root only
  expect(keep("docs/a/b/c.tmp", "c.tmp", false)).toBe(false);
  expect(keep("cache", "cache", true)).toBe(false);
  expect(keep("out", "out", true)).toBe(false);
  expect(keep("node_modules", "node_modules", true)).toBe(false); // always, whatever the config
  expect(keep(".rch-stage-1234", ".rch-stage-1234", true)).toBe(false);
});

test("rsync gets the same rules as explicit +/- filters (a pattern is never read as a modifier)", () => {
  const args = rsyncFilterArgs([
    { include: false, pattern: "+ weird" },
    { include: true, pattern: "a/" },
  ]);
  expect(args).toEqual(["--filter=- + weird", "--filter=+ a/"]);
});

test("the fingerprint changes with content metadata, additions, deletions and renames, not with excluded files", () => {
  put("src/a.rs");
  put("src/b.rs");
  put("target/debug/app", "bin");
  const h0 = scanTree(dir, keep).hash;
  expect(scanTree(dir, keep).hash).toBe(h0); // stable
  put("target/debug/app", "rebuilt");
  expect(scanTree(dir, keep).hash).toBe(h0); // excluded
  const t = new Date(Date.now() + 5000);
  utimesSync(join(dir, "src/a.rs"), t, t);
  const h1 = scanTree(dir, keep).hash;
  expect(h1).not.toBe(h0);
  put("src/c.rs");
  const h2 = scanTree(dir, keep).hash;
  expect(h2).not.toBe(h1);
  rmSync(join(dir, "src/c.rs"));
  rmSync(join(dir, "src/b.rs"));
  put("src/b2.rs");
  expect(scanTree(dir, keep).hash).not.toBe(h1);
  mkdirSync(join(dir, "empty"));
  const h3 = scanTree(dir, keep).hash;
  symlinkSync("src/a.rs", join(dir, "link"));
  const s = scanTree(dir, keep);
  expect(s.hash).not.toBe(h3);
  expect(s.entry("link")).toBeDefined();
  expect(s.entry("target/debug/app")).toBeUndefined();
});

// How fast the scan is belongs to bench/ (exec.bench.ts times the no-change rebuild it serves):
// 15–35 ms here. This only guards against a pathological walk (re-reading, quadratic work).
test("5,000 files are scanned without pathological cost", () => {
  const big = join(dir, "big");
  for (let i = 0; i < 5000; i++) {
    if (i % 100 === 0) mkdirSync(join(big, `m${i / 100}`), { recursive: true });
    writeFileSync(join(big, `m${Math.floor(i / 100)}`, `f${i}.rs`), "fn x() {}\n");
  }
  scanTree(dir, keep); // warm the dentry cache, as a rebuild finds it
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const s = scanTree(dir, keep);
    times.push(performance.now() - t0);
    expect(s.files).toBeGreaterThanOrEqual(5000);
  }
  times.sort((a, b) => a - b);
  console.log(`scan of 5,000 files: median ${times[2]!.toFixed(1)} ms`);
  expect(times[2]!).toBeLessThan(1000);
}, 30_000); // writing 5,000 files into /tmp (ext4 with discard) alone can take seconds
