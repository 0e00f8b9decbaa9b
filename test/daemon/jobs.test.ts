// What makes two jobs identical for single-flight dedup: everything that can change the result.
import { expect, test } from "bun:test";
import { dedupKey } from "../../src/daemon/jobs.ts";
import type { JobSpec } from "../../src/protocol/requests.ts";

const spec = (over: Partial<JobSpec> = {}): JobSpec => ({
  projectRoot: "/p",
  kind: "make",
  argv: ["make", "-j4"],
  env: { CC: "gcc", CFLAGS: "-O2" },
  sourceState: "s1",
  preferredWorkers: [],
  tags: [],
  sharedCopy: false,
  ...over,
});

test("same job, same key; environment order does not matter", () => {
  expect(dedupKey(spec())).toBe(dedupKey(spec({ env: { CFLAGS: "-O2", CC: "gcc" } })));
  expect(dedupKey(spec())).toBe(dedupKey(spec({ preferredWorkers: ["w1"] }))); // where, not what
});

test("anything that changes the result changes the key", () => {
  const base = dedupKey(spec());
  const variants: Partial<JobSpec>[] = [
    { projectRoot: "/q" },
    { kind: "cargo" },
    { argv: ["make", "-j8"] },
    { argv: ["make -j4"] }, // one word is not two
    { argv: ["make", "-j4", ""] },
    { env: { CC: "clang", CFLAGS: "-O2" } },
    { env: { CC: "gcc" } },
    { env: { CC: "gcc", CFLAGS: "-O2", X: "" } },
    { sourceState: "s2" },
  ];
  const keys = variants.map((v) => dedupKey(spec(v)));
  for (const k of keys) expect(k).not.toBe(base);
  expect(new Set(keys).size).toBe(keys.length);
});

test("no splice of values can forge another job's key", () => {
  // Quoting is JSON's: a value containing the separators of the encoding stays one value.
  const a = dedupKey(spec({ argv: ["make", '","x'] }));
  const b = dedupKey(spec({ argv: ["make", "", "x"] }));
  expect(a).not.toBe(b);
  const c = dedupKey(spec({ env: { 'A","B': "1" } }));
  const d = dedupKey(spec({ env: { A: "", B: "1" } }));
  expect(c).not.toBe(d);
});
