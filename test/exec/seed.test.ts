// Which of cargo's profile dirs a local build changed (src/exec/seed.ts): found by their
// .cargo-lock, told changed by the mtimes of the dir and its deps/, build/ and .fingerprint/.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { profileDirs, profileSig, seedState } from "../../src/exec/seed.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function target(layout: string[]): string {
  const root = mkdtempSync("/tmp/rchx-seed-");
  dirs.push(root);
  for (const rel of layout) {
    const p = join(root, "target", rel);
    if (rel.endsWith("/")) mkdirSync(p, { recursive: true });
    else {
      mkdirSync(join(p, ".."), { recursive: true });
      writeFileSync(p, "");
    }
  }
  return root;
}

test("profile dirs are the ones holding .cargo-lock, at the top or under a target triple", () => {
  const root = target([
    "debug/.cargo-lock",
    "debug/deps/",
    "release/.cargo-lock",
    "x86_64-unknown-linux-gnu/debug/.cargo-lock",
    "doc/index.html", // rustdoc's: no lock, never sent
    "tmp/",
    "CACHEDIR.TAG",
  ]);
  expect(profileDirs(join(root, "target")).sort()).toEqual([
    "debug",
    "release",
    "x86_64-unknown-linux-gnu/debug",
  ]);
  expect(profileDirs(join(root, "nowhere"))).toEqual([]);
});

test("the signature moves when deps/ (a compilation) or the dir (a linked binary) moves, and only then", () => {
  const root = target(["debug/.cargo-lock", "debug/deps/", "debug/.fingerprint/", "debug/build/"]);
  const debug = join(root, "target", "debug");
  const at = (p: string, s: number) => utimesSync(p, s, s);
  for (const d of ["", "deps", "build", ".fingerprint"]) at(join(debug, d), 1_000);
  const before = profileSig(debug);
  expect(profileSig(debug)).toBe(before);
  // A file rewritten in place inside (a fingerprint, a no-op build's lock): no move.
  writeFileSync(join(debug, ".cargo-lock"), "");
  at(join(debug, ".cargo-lock"), 5_000);
  expect(profileSig(debug)).toBe(before);
  at(join(debug, "deps"), 2_000);
  const compiled = profileSig(debug);
  expect(compiled).not.toBe(before);
  at(join(debug, ""), 3_000);
  expect(profileSig(debug)).not.toBe(compiled);
});

test("seed state: each profile dir by its path in the project; none without a seed dir", () => {
  const root = target(["debug/.cargo-lock", "release/.cargo-lock"]);
  const family = { seedDir: join(root, "target") } as Parameters<typeof seedState>[0]["family"];
  const state = seedState({ root, family });
  expect(Object.keys(state).sort()).toEqual(["target/debug", "target/release"]);
  expect(state["target/debug"]).toBe(profileSig(join(root, "target", "debug")));
  expect(seedState({ root, family: { ...family, seedDir: undefined } as typeof family })).toEqual({});
});

test("profile dirs in a target dir that is a symlink out of the project are never part of the state (never sent)", () => {
  const root = target([]);
  const elsewhere = target(["debug/.cargo-lock"]);
  symlinkSync(join(elsewhere, "target"), join(root, "target"));
  const family = { seedDir: join(root, "target") } as Parameters<typeof seedState>[0]["family"];
  expect(profileDirs(join(root, "target"))).toEqual(["debug"]);
  expect(seedState({ root, family })).toEqual({});
});
