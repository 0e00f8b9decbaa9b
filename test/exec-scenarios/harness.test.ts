// The harness judged on its own: every fixture builds locally, two local builds in two copies
// compare equal under the family's rules (so a parity failure means rch, not noise), and the
// comparison does notice the differences it exists to catch.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectSameOutput, expectSameTree, Scenario, TREE } from "./harness.ts";
import { normalize } from "./normalize.ts";
import { disposeAll } from "./scenario.ts";
import { diffTrees, snapshot } from "./tree.ts";

// Real cargo, cmake and bun builds, twice each: the cargo test alone takes ~10 s here.
setDefaultTimeout(120_000);
afterAll(disposeAll);

/** Runs argv locally in both copies (the "rch" copy stands in for rch), one after the other as
 * the scenarios do (concurrent cargos would print "Blocking waiting for file lock"). */
async function localTwice(sc: Scenario, argv: string[], o: { cwd?: string } = {}) {
  const a = await sc.local(argv, o, sc.rchDir);
  const b = await sc.local(argv, o);
  return { a, b };
}

describe("local vs local", () => {
  test("cargo workspace: build, test, run, failures", async () => {
    const sc = await Scenario.create({ fixture: "cargo-ws" });
    const build = await localTwice(sc, ["cargo", "build"]);
    expect(build.b.code).toBe(0);
    expect(build.b.stderr).toContain("Compiling fxapp v0.1.0 (");
    expectSameOutput(sc, build.a, build.b);
    const testRun = await localTwice(sc, ["cargo", "test", "--", "--test-threads=1"]);
    expect(testRun.b.stdout).toContain("test tests::squares ... ok");
    expectSameOutput(sc, testRun.a, testRun.b);
    const fail = await localTwice(sc, [
      "FX_FAIL=1",
      "cargo",
      "test",
      "-p",
      "fxcore",
      "--",
      "--test-threads=1",
    ]);
    expect(fail.b.code).toBe(101);
    expectSameOutput(sc, fail.a, fail.b);
    const broken = await localTwice(sc, ["cargo", "build", "--features", "fxcore/broken"]);
    expect(broken.b.code).toBe(101);
    expect(broken.b.stderr).toContain("error[E0308]: mismatched types");
    expectSameOutput(sc, broken.a, broken.b);
    const exit3 = await localTwice(sc, ["cargo", "run", "-q", "--bin", "fxapp", "--", "exit", "3"]);
    expect(exit3.b.code).toBe(3);
    const sig = await localTwice(sc, ["cargo", "run", "-q", "--bin", "fxapp", "--", "signal"]);
    expect(sig.b).toMatchObject({ code: 143, signal: "SIGTERM" });
    expectSameTree(sc, TREE.cargo);
    sc.dispose();
  });

  test("make: build, check, compile error, exit 3, make killed by SIGTERM", async () => {
    const sc = await Scenario.create({ fixture: "make-c" });
    const build = await localTwice(sc, ["make"]);
    expect(build.b).toMatchObject({ code: 0, stderr: "" });
    expectSameOutput(sc, build.a, build.b);
    expect((await localTwice(sc, ["make", "check"])).b.code).toBe(0);
    const broken = await localTwice(sc, ["make", "-B", "BROKEN=1"]);
    expect(broken.b.code).toBe(2);
    expect(broken.b.stderr).toContain("error: ‘undeclared_identifier’ undeclared");
    expectSameOutput(sc, broken.a, broken.b);
    expect((await localTwice(sc, ["make", "exit3"])).b.code).toBe(2);
    expect((await localTwice(sc, ["make", "killmake"])).b).toMatchObject({ code: 143, signal: "SIGTERM" });
    expectSameTree(sc, TREE.make);
    sc.dispose();
  });

  test("cmake + ninja: configure in setup, then cmake --build and ninja -C", async () => {
    const sc = await Scenario.create({
      fixture: "cmake-ninja",
      setup: [["cmake", "-G", "Ninja", "-S", ".", "-B", "build"]],
    });
    const build = await localTwice(sc, ["cmake", "--build", "build"]);
    expect(build.b.stdout).toContain("Linking C executable hello");
    expectSameOutput(sc, build.a, build.b, { ninja: true });
    writeFileSync(join(sc.rchDir, "src", "main.c"), "int main(void) { return 0; }\n");
    writeFileSync(join(sc.localDir, "src", "main.c"), "int main(void) { return 0; }\n");
    const ninja = await localTwice(sc, ["ninja", "-C", "build"]);
    expect(ninja.b.stdout).toContain("[2/2] Linking C executable hello");
    expectSameOutput(sc, ninja.a, ninja.b, { ninja: true });
    expectSameTree(sc, TREE.cmake);
    sc.dispose();
  });

  test("bun: workspace install in setup, passing and failing tests", async () => {
    const sc = await Scenario.create({
      fixture: "bun-tests",
      setup: [["bun", "install", "--frozen-lockfile"]],
    });
    const pass = await localTwice(sc, ["bun", "test"]);
    expect(pass.b.code).toBe(0);
    expect(pass.b.stderr).toContain(" 4 pass");
    expectSameOutput(sc, pass.a, pass.b, { sortBunFiles: true });
    const fail = await localTwice(sc, ["FX_FAIL=1", "bun", "test"]);
    expect(fail.b.code).toBe(1);
    expect(fail.b.stderr).toContain(`(${sc.localDir}/test/math.test.js:`); // absolute: path rewriting
    expectSameOutput(sc, fail.a, fail.b, { sortBunFiles: true });
    expectSameTree(sc, TREE.bun);
    sc.dispose();
  });
});

describe("the comparison catches what it must", () => {
  test("tree diff: a changed, missing, re-linked or mode-changed file", async () => {
    const sc = await Scenario.create({ fixture: "make-c" });
    const base = snapshot(sc.localDir);
    expect(diffTrees(snapshot(sc.rchDir), base)).toEqual([]);
    writeFileSync(join(sc.rchDir, "src", "gen.h"), "#define GEN_VALUE 9\n");
    writeFileSync(join(sc.rchDir, "extra.o"), "x");
    const d = diffTrees(snapshot(sc.rchDir), base);
    expect(d).toContain("src/gen.h: content differs (20 bytes in rch, 20 in local)");
    expect(d).toContain("only in rch: extra.o (file)");
    sc.dispose();
  });

  test("a worker's path in a text artifact is a difference; the copy's own root is not", async () => {
    const sc = await Scenario.create({ fixture: "make-c" });
    writeFileSync(join(sc.rchDir, "x.d"), `${sc.rchDir}/calc: ${sc.rchDir}/src/main.c\n`);
    writeFileSync(join(sc.localDir, "x.d"), `${sc.localDir}/calc: ${sc.localDir}/src/main.c\n`);
    expect(diffTrees(snapshot(sc.rchDir), snapshot(sc.localDir))).toEqual([]);
    writeFileSync(join(sc.rchDir, "x.d"), "/tmp/rchbed-0000/fs/roots/u/p/calc: src/main.c\n");
    expect(diffTrees(snapshot(sc.rchDir), snapshot(sc.localDir))).toHaveLength(1);
    sc.dispose();
  });

  test("normalize keeps what matters", () => {
    const root = "/tmp/rchscn-x/r/p";
    const n = (s: string) => normalize(s, { root });
    expect(n(`   Compiling a v0.1.0 (${root}/a)\n    Finished \`dev\` profile in 1.23s\n`)).toBe(
      "   Compiling a v0.1.0 (<ROOT>/a)\n    Finished `dev` profile in <T>\n",
    );
    expect(n("error at /tmp/rchbed-1234/fs/roots/x/src/a.c:3")).toBe(
      "error at /tmp/rchbed-1234/fs/roots/x/src/a.c:3",
    );
    expect(n("rch: running locally: x\n")).toBe("rch: running locally: x\n");
    // Parallel "Compiling" lines are sorted within their run, nothing else moves.
    expect(n("   Compiling b v1\n   Compiling a v1\nwarning: x\n   Compiling c v1\n")).toBe(
      "   Compiling a v1\n   Compiling b v1\nwarning: x\n   Compiling c v1\n",
    );
    expect(n("[2/3] b\n[1/3] a\n")).toBe("[2/3] b\n[1/3] a\n");
    expect(normalize("[2/3] b\n[1/3] a", { root, ninja: true })).toBe("[#/3] a\n[#/3] b");
  });
});
