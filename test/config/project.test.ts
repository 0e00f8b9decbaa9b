// Which directory is the project, and which ones rch refuses to sync whole.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProjectRoot, tooBroadRoot } from "../../src/config/project.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rch-project-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("cargo workspace above a package, within the git root", () => {
  const pkg = join(dir, "ws", "crates", "a");
  mkdirSync(pkg, { recursive: true });
  mkdirSync(join(dir, "ws", ".git"));
  writeFileSync(join(dir, "ws", "Cargo.toml"), '[workspace]\nmembers = ["crates/a"]\n');
  writeFileSync(join(pkg, "Cargo.toml"), '[package]\nname = "a"\n');
  expect(findProjectRoot(join(pkg, "src"))).toEqual({ root: join(dir, "ws"), kind: "cargo-workspace" });
});

test("a workspace manifest above the git root is not looked at", () => {
  const repo = join(dir, "repo");
  mkdirSync(join(repo, ".git"), { recursive: true });
  writeFileSync(join(dir, "Cargo.toml"), "[workspace]\n");
  expect(findProjectRoot(repo)).toEqual({ root: repo, kind: "git" });
});

test("no marker: the cwd", () => {
  expect(findProjectRoot(dir)).toEqual({ root: dir, kind: "cwd" });
});

test("/, the home dir and shared temp dirs are never a project to sync", () => {
  for (const r of ["/", "/home/u", "/home/u/", tmpdir(), "/tmp", "/var/tmp", "/dev/shm"]) {
    expect({ r, broad: tooBroadRoot(r, "/home/u") }).toEqual({ r, broad: true });
  }
  for (const r of [dir, "/tmp/p", "/home/u/src/p", "/srv"]) {
    expect({ r, broad: tooBroadRoot(r, "/home/u") }).toEqual({ r, broad: false });
  }
});
