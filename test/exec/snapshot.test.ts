// The diff between the last synced tree and the current one drives inline syncs.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { syncHeader } from "../../src/exec/script.ts";
import { scanTree } from "../../src/transfer/fingerprint.ts";
import { buildRules, compileRules } from "../../src/transfer/rules.ts";
import { diffTrees, readSnapshot, writeSnapshot } from "../../src/transfer/snapshot.ts";

const dir = mkdtempSync("/tmp/rch-snap-");
const cache = mkdtempSync("/tmp/rch-snapc-");
// The snapshot store reads RCH_CACHE_DIR. Test files share one process: put it back afterwards,
// or every later file would see a cache dir that no longer exists.
const savedCacheDir = process.env.RCH_CACHE_DIR;
process.env.RCH_CACHE_DIR = cache;
afterAll(() => {
  if (savedCacheDir === undefined) delete process.env.RCH_CACHE_DIR;
  else process.env.RCH_CACHE_DIR = savedCacheDir;
  rmSync(dir, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
});
const keep = compileRules(
  buildRules({ includes: [], excludes: ["target/"], familyExcludes: [], projectRoot: dir }),
);
const put = (rel: string, body = "x") => {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), body);
};

test("snapshot round-trips and the diff names exactly what changed", () => {
  put("a.rs");
  put("b.rs");
  put("gone/deep/x.rs");
  put("gone/y.rs");
  put("flip/z.rs");
  put("target/out.o");
  writeSnapshot("k", "id1", scanTree(dir, keep));
  const snap = readSnapshot("k")!;
  expect(snap.syncId).toBe("id1");
  expect(diffTrees(snap, scanTree(dir, keep), 100, 1e9)).toEqual({ send: [], remove: [], bytes: 0 });

  const t = new Date(Date.now() + 3000);
  put("a.rs", "edited!");
  utimesSync(join(dir, "a.rs"), t, t);
  rmSync(join(dir, "gone"), { recursive: true });
  rmSync(join(dir, "flip"), { recursive: true });
  put("flip", "now a file");
  put("new/n.rs", "n");
  chmodSync(join(dir, "b.rs"), 0o700);
  put("target/out.o", "rebuilt"); // excluded: never part of a sync
  const d = diffTrees(snap, scanTree(dir, keep), 100, 1e9)!;
  expect(d.send.sort()).toEqual(["a.rs", "b.rs", "flip", "new", "new/n.rs"]);
  expect(d.remove.sort()).toEqual(["flip", "gone"]);
  expect(d.bytes).toBe("edited!".length + 1 + "now a file".length + 1);
  expect(diffTrees(snap, scanTree(dir, keep), 2, 1e9)).toBeUndefined(); // too many: rsync instead
  expect(diffTrees(snap, scanTree(dir, keep), 100, 5)).toBeUndefined(); // too big
});

test("the sync header the remote script reads", () => {
  expect(
    Buffer.from(syncHeader({ check: "", stamp: "s2", remove: ["a b", "c"], tarBytes: 512 })).toString(),
  ).toBe("H - s2 512 2 -\na b\nc\n");
  const big = syncHeader({ check: "s1", stamp: "", remove: [], tarBytes: 0, overlay: true });
  expect(Buffer.from(big).toString()).toBe("H s1 - 0 0 o\n");
  expect(Buffer.from(syncHeader("abort")).toString()).toBe("A\n");
  expect(() => syncHeader({ check: "x", stamp: "", remove: ["bad\nname"], tarBytes: 0 })).toThrow();
});
