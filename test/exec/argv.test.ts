import { expect, test } from "bun:test";
import { parseExecArgv } from "../../src/exec/argv.ts";

test("leading assignments and an env wrapper become the remote environment", () => {
  expect(parseExecArgv(["RUST_BACKTRACE=1", "cargo", "test", "X=1"])).toEqual({
    kind: "command",
    assignments: [["RUST_BACKTRACE", "1"]],
    argv: ["cargo", "test", "X=1"],
  });
  expect(parseExecArgv(["A=1", "env", "B=2 3", "/usr/bin/make", "-j2"])).toEqual({
    kind: "command",
    assignments: [
      ["A", "1"],
      ["B", "2 3"],
    ],
    argv: ["/usr/bin/make", "-j2"],
  });
});

test("time, nice and timeout stay local around a nested rch exec", () => {
  expect(parseExecArgv(["FOO=1", "timeout", "-s", "INT", "10s", "env", "X=2", "cargo", "build"])).toEqual({
    kind: "wrapped",
    wrapper: ["timeout", "-s", "INT", "10s"],
    inner: ["FOO=1", "env", "X=2", "cargo", "build"],
  });
  expect(parseExecArgv(["time", "-p", "make"])).toEqual({
    kind: "wrapped",
    wrapper: ["time", "-p"],
    inner: ["make"],
  });
  expect(parseExecArgv(["nice", "-n", "5", "make"])).toMatchObject({
    kind: "wrapped",
    wrapper: ["nice", "-n", "5"],
  });
});

test("what cannot be taken apart is reported, not guessed", () => {
  expect(parseExecArgv([])).toMatchObject({ kind: "invalid" });
  expect(parseExecArgv(["A=1"])).toMatchObject({ kind: "invalid" });
  expect(parseExecArgv(["env", "-i", "cargo", "build"])).toMatchObject({ kind: "invalid" });
  expect(parseExecArgv(["timeout", "--bogus", "5", "make"])).toMatchObject({ kind: "invalid" });
});
