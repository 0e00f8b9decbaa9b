// Successful builds through `rch exec` on a real worker give exactly what the same command gives
// locally: exit code, stdout, stderr, the files left in the project, and a binary that behaves
// the same. Each describe shares one scenario; its tests run in order (build, then test…).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  expectRanRemotely,
  expectSameOutput,
  expectSameTree,
  perBuildLeftovers,
  Scenario,
  TREE,
  useFleet,
} from "./harness.ts";
import type { Outcome } from "./proc.ts";
import { diffTrees, snapshot } from "./tree.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{}, {}]);

/** Runs argv through rch in the rch copy, then directly in the reference copy. */
async function both(sc: Scenario, argv: string[], o: { cwd?: string } = {}) {
  const rch = await sc.rch(argv, o);
  const local = await sc.local(argv, o);
  return { rch, local };
}

const uidsOf = (lines: string[]) => lines.map(Number);

describe("cargo workspace (path dependencies)", () => {
  let sc: Scenario;
  let build: { rch: Outcome; local: Outcome };
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "cargo-ws", fleet: bed.fleet });
  });
  afterAll(() => sc?.dispose());

  test("cargo build: same exit, stdout, stderr; it ran on a worker", async () => {
    build = await both(sc, ["cargo", "build"]);
    expect(build.local.code).toBe(0);
    expectSameOutput(sc, build.rch, build.local);
    expectRanRemotely(sc, build.rch, ["target/debug/fxapp"]);
  });

  test("cargo build: the target dir matches a local build's (dep-info names local paths)", () => {
    expect(build).toBeDefined();
    expectSameTree(sc, TREE.cargo);
  });

  test("cargo build: the returned binary runs the same", async () => {
    expect(build).toBeDefined();
    const { rch, local } = await sc.inBoth(["./target/debug/fxapp"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("n=27 sum_squares=6930");
    expectSameOutput(sc, rch, local);
  });

  test("a local cargo build afterwards has nothing to recompile", async () => {
    expect(build).toBeDefined();
    const { rch, local } = await sc.inBoth(["cargo", "build"]);
    expect(local.stderr).not.toContain("Compiling");
    expectSameOutput(sc, rch, local);
  });

  test("cargo test (pass), leading NAME=value words reach the remote tests", async () => {
    const argv = [`FX_RUNLOG=${sc.runlog}`, "cargo", "test", "--", "--test-threads=1"];
    const before = sc.runlogLines().length;
    const rch = await sc.rch(argv);
    const ranBy = uidsOf(sc.runlogLines().slice(before));
    const local = await sc.local(argv);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch);
    // The test that records its uid ran exactly once, as a worker's user.
    expect(ranBy).toHaveLength(1);
    expect(bed.fleet.workers.map((w) => w.uid)).toContain(ranBy[0]!);
  });

  test("cargo test from a member's directory: the cwd maps into the remote copy", async () => {
    const { rch, local } = await both(sc, ["cargo", "test", "--", "--test-threads=1"], {
      cwd: "crates/fxfmt",
    });
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("test tests::report_is_stable ... ok");
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch);
  });

  test("CARGO_TARGET_DIR inside the project: that dir comes back, and its binary runs", async () => {
    const { rch, local } = await both(sc, ["CARGO_TARGET_DIR=alt-target", "cargo", "build", "-p", "fxapp"]);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["alt-target/debug/fxapp"]);
    const run = await sc.inBoth(["./alt-target/debug/fxapp"]);
    expect(run.local.code).toBe(0);
    expectSameOutput(sc, run.rch, run.local);
  });
});

describe("C project with make (in-tree artifacts)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet, git: true });
  });
  afterAll(() => sc?.dispose());

  test("make: same output; .o files and the binary come back byte-identical", async () => {
    const { rch, local } = await both(sc, ["make"]);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local);
    const copy = expectRanRemotely(sc, rch, ["calc", "src/main.o", "src/ops.o", "src/fmt.o"]);
    expectSameTree(sc, TREE.make);
    // The new-file list was consumed by the pull that brought the objects back: it is gone.
    expect(perBuildLeftovers(copy)).toEqual([]);
    const run = await sc.inBoth(["./calc"]);
    expect(run.local.stdout).toBe("gcd      21\nfib      102334155\ngen      1\n");
    expectSameOutput(sc, run.rch, run.local);
  });

  test("make check after an edit: only the changed object is rebuilt, remotely", async () => {
    for (const dir of [sc.rchDir, sc.localDir]) {
      writeFileSync(
        join(dir, "src", "fmt.c"),
        '#include <stdio.h>\n#include "fmt.h"\n\nvoid fx_print(const char *name, long value) { printf("%-8s %ld\\n", name, value); }\n/* edited */\n',
      );
    }
    const { rch, local } = await both(sc, ["make", "check"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("gcc -O2 -Wall -c -o src/fmt.o src/fmt.c");
    expect(local.stdout).not.toContain("src/main.o src/main.c");
    expectSameOutput(sc, rch, local);
    const copy = expectRanRemotely(sc, rch, ["out.txt"]);
    expectSameTree(sc, TREE.make);
    expect(perBuildLeftovers(copy)).toEqual([]);
  });
});

describe("cmake + ninja (configured locally)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "cmake-ninja",
      fleet: bed.fleet,
      setup: [["cmake", "-G", "Ninja", "-S", ".", "-B", "build"]],
    });
  });
  afterAll(() => sc?.dispose());

  test("cmake --build build: same output and build dir; the binary runs", async () => {
    const { rch, local } = await both(sc, ["cmake", "--build", "build"]);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local, { ninja: true });
    expectRanRemotely(sc, rch);
    expectSameTree(sc, TREE.cmake);
    const run = await sc.inBoth(["./build/hello"]);
    expect(run.local.stdout).toBe("hello from cmake+ninja\nanswer 42\n");
    expectSameOutput(sc, run.rch, run.local);
  });

  test("ninja -C build after an edit: same incremental rebuild", async () => {
    for (const dir of [sc.rchDir, sc.localDir]) {
      writeFileSync(
        join(dir, "src", "greet.c"),
        '#include "greet.h"\n\nconst char *fx_greeting(void) { return "edited greeting"; }\nint fx_answer(void) { return 43; }\n',
      );
    }
    const { rch, local } = await both(sc, ["ninja", "-C", "build"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("Building C object CMakeFiles/greet.dir/src/greet.c.o");
    expectSameOutput(sc, rch, local, { ninja: true });
    expectRanRemotely(sc, rch);
    expectSameTree(sc, TREE.cmake);
    const run = await sc.inBoth(["./build/hello"]);
    expect(run.local.stdout).toBe("edited greeting\nanswer 43\n");
    expectSameOutput(sc, run.rch, run.local);
  });
});

describe("meson (configured locally)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "meson-c",
      fleet: bed.fleet,
      setup: [["meson", "setup", "build"]],
    });
  });
  afterAll(() => sc?.dispose());

  test("meson compile -C build: same output (local paths in it) and build dir; the binary runs", async () => {
    const configured = snapshot(join(sc.rchDir, "build"), (rel) => !rel.startsWith("meson-"));
    const { rch, local } = await both(sc, ["meson", "compile", "-C", "build"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(`${sc.localDir}/build`); // meson names the build dir absolutely
    expectSameOutput(sc, rch, local, { ninja: true });
    expectRanRemotely(sc, rch, ["build/hello"]);
    expectSameTree(sc, TREE.meson);
    const run = await sc.inBoth(["./build/hello"]);
    expect(run.local.stdout).toBe("hello from meson\nanswer 42\n");
    expectSameOutput(sc, run.rch, run.local);
    // The local configure state came through byte for byte: no worker path in it.
    const after = snapshot(join(sc.rchDir, "build"), (rel) => !rel.startsWith("meson-"));
    expect(diffTrees(after, configured, {}, ["after", "before"])).toEqual([]);
  });

  test("meson compile after an edit: same incremental rebuild", async () => {
    for (const dir of [sc.rchDir, sc.localDir]) {
      writeFileSync(
        join(dir, "src", "greet.c"),
        '#include "greet.h"\n\nconst char *fx_greeting(void) { return "edited greeting"; }\nint fx_answer(void) { return 43; }\n',
      );
    }
    const { rch, local } = await both(sc, ["meson", "compile", "-C", "build"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("Compiling C object libgreet.a.p/src_greet.c.o");
    expect(local.stdout).not.toContain("src_main.c.o");
    expectSameOutput(sc, rch, local, { ninja: true });
    expectRanRemotely(sc, rch);
    expectSameTree(sc, TREE.meson);
    const run = await sc.inBoth(["./build/hello"]);
    expect(run.local.stdout).toBe("edited greeting\nanswer 43\n");
    expectSameOutput(sc, run.rch, run.local);
  });

  test("the build dir rch used still works for a plain local meson compile", async () => {
    const plain = await sc.inBoth(["meson", "compile", "-C", "build"]);
    expect(plain.rch.code).toBe(0);
    expect(plain.rch.stdout).toContain("ninja: no work to do.");
    expectSameOutput(sc, plain.rch, plain.local, { ninja: true });
  });
});

describe("bun test (workspace package: the worker must install)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "bun-tests",
      fleet: bed.fleet,
      setup: [["bun", "install", "--frozen-lockfile"]],
    });
  });
  afterAll(() => sc?.dispose());

  test("bun test: same output; ran once on a worker; node_modules untouched", async () => {
    const argv = [`FX_RUNLOG=${sc.runlog}`, "bun", "test"];
    const before = sc.runlogLines().length;
    const rch = await sc.rch(argv);
    const ranBy = uidsOf(sc.runlogLines().slice(before));
    const local = await sc.local(argv);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local, { sortBunFiles: true });
    expectRanRemotely(sc, rch);
    expect(ranBy).toHaveLength(1);
    expect(bed.fleet.workers.map((w) => w.uid)).toContain(ranBy[0]!);
    expectSameTree(sc, TREE.bun);
  });
});
