// Absolute paths into the project in a build's argv are re-rooted at the worker's copy.
import { describe, expect, test } from "bun:test";
import { splitAtRoot } from "../../src/exec/script.ts";

describe("splitAtRoot", () => {
  const root = "/home/u/proj";
  test.each([
    ["/home/u/proj", ["", ""]],
    ["/home/u/proj/src/a.c", ["", "/src/a.c"]],
    ["-I/home/u/proj/include", ["-I", "/include"]],
    ["--manifest-path=/home/u/proj/Cargo.toml", ["--manifest-path=", "/Cargo.toml"]],
    ["a:/home/u/proj/x:/home/u/proj", ["a:", "/x:", ""]],
    ["/home/u/proj-other/x", ["/home/u/proj-other/x"]],
    ["/srv/home/u/proj/x", ["/srv/home/u/proj/x"]],
    ["CFLAGS=-O2 -I/home/u/proj/include -L/home/u/proj/lib", ["CFLAGS=-O2 -I", "/include -L", "/lib"]],
    ["-C\x1flinker=/home/u/proj/cc", ["-C\x1flinker=", "/cc"]],
    ["--remap-path-prefix=/home/u/proj=/src", ["--remap-path-prefix=", "=/src"]],
    ["@/home/u/proj/args.rsp", ["@", "/args.rsp"]],
    ["-Wl,-rpath,/home/u/proj/lib", ["-Wl,-rpath,", "/lib"]],
    ["/home/u/proj.old/x", ["/home/u/proj.old/x"]],
    ["x-I/home/u/proj", ["x-I/home/u/proj"]],
    ["/x/home/u/proj", ["/x/home/u/proj"]],
    ["build", ["build"]],
    ["", [""]],
  ])("%p", (word, pieces) => {
    expect(splitAtRoot(word, root)).toEqual(pieces);
  });
});
