// State that round-trips: after a build through `rch exec`, the project is what a local build
// would have left, down to the files the next build reads. The build tools themselves judge it:
// a local build of the same command right after an rch build does no work, and so does an rch
// build right after a local one (on the worker that has the copy). Also: what the build writes
// beside cargo's target dir comes back (Cargo.lock), what it deletes in build dirs is deleted here
// (unless changed here meanwhile), and an executable this machine cannot run is never placed.
//
// The assertions hold whether the worker runs the build at the project's own path or at its
// mapped copy path; the one thing cargo itself ties to the absolute path — the fingerprint of a
// package from a directory source hashes its source path — is checked per mode (sameWorkerPath).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectNoWork, sameWorkerPath } from "./cargoUnits.ts";
import { expectRanRemotely, expectSameTree, Scenario, useFleet } from "./harness.ts";
import {
  autotoolsProject,
  cargoForeign,
  cargoVendored,
  makeProject,
  utilLib,
  writeExecutable,
} from "./projects.ts";
import { globs } from "./tree.ts";

// Builds here run on a shared, possibly loaded machine: generous, explicit budgets per block.
setDefaultTimeout(300_000);
const BUILD_MS = 240_000;
const bed = useFleet([{}]);

/** The target dir's files: incremental caches stay on each machine (never pulled). Content may
 * differ for binaries (debug info names the build dir), for cargo's fingerprints (a directory
 * source's package is fingerprinted by its absolute path, and the two copies live at two paths)
 * and for .rustc_info.json (a HashMap serialised in random order). */
const CARGO_TREE = {
  skip: globs("target/debug/incremental", "target/debug/incremental/**"),
  contentMayDiffer: (rel: string, binary: boolean) =>
    (rel.startsWith("target/") && binary) ||
    rel.startsWith("target/debug/.fingerprint/") ||
    rel === "target/.rustc_info.json",
};

function fingerprintFiles(dir: string, unit: string, file: string): string[] {
  const fp = join(dir, "target", "debug", ".fingerprint");
  return readdirSync(fp)
    .filter((d) => d.startsWith(`${unit}-`) && existsSync(join(fp, d, file)))
    .map((d) => join(fp, d, file));
}

async function waitFile(path: string, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (existsSync(path)) return true;
    await Bun.sleep(50);
  }
  return false;
}

describe("cargo workspace with a vendored directory source", () => {
  let sc: Scenario;
  let samePath = false;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "generated",
      populate: cargoVendored,
      fleet: bed.fleet,
      git: true,
    });
    samePath = await sameWorkerPath(sc);
  }, BUILD_MS);
  afterAll(() => sc?.dispose());

  test("the Cargo.lock cargo creates on the worker comes back", async () => {
    expect(existsSync(join(sc.rchDir, "Cargo.lock"))).toBe(false);
    const rch = await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS });
    expect(rch.code).toBe(0);
    expectRanRemotely(sc, rch, ["target/debug/app", "Cargo.lock"]);
    expect((await sc.local(["cargo", "build"], { timeoutMs: BUILD_MS })).code).toBe(0);
    expect(readFileSync(join(sc.rchDir, "Cargo.lock"), "utf8")).toBe(
      readFileSync(join(sc.localDir, "Cargo.lock"), "utf8"),
    );
  });

  test("after an rch build a local build does no work, and after that an rch build does none", async () => {
    expectNoWork(await sc.local(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }, sc.rchDir), samePath);
    // The worker still has its copy: the sync after a local build must not dirty it either.
    expectNoWork(await sc.rch(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }), true);
    expectNoWork(await sc.local(["cargo", "build", "-v"], { timeoutMs: BUILD_MS }, sc.rchDir), samePath);
  });

  test("cargo test --no-run: the same both ways, for the test targets", async () => {
    expect((await sc.rch(["cargo", "test", "--no-run"], { timeoutMs: BUILD_MS })).code).toBe(0);
    expectNoWork(
      await sc.local(["cargo", "test", "-v", "--no-run"], { timeoutMs: BUILD_MS }, sc.rchDir),
      samePath,
    );
    expectNoWork(await sc.rch(["cargo", "test", "-v", "--no-run"], { timeoutMs: BUILD_MS }), true);
  });

  test("the target dir holds the files a local build of a copy holds", async () => {
    expect((await sc.local(["cargo", "test", "--no-run"], { timeoutMs: BUILD_MS })).code).toBe(0);
    // The rch copy's last step was a local build (it may have rebuilt at a mapped path): one
    // more rch build, so the files compared are the worker's.
    expect((await sc.rch(["cargo", "test", "--no-run"], { timeoutMs: BUILD_MS })).code).toBe(0);
    expectSameTree(sc, CARGO_TREE);
  });

  test("a Cargo.lock cargo changes on the worker comes back", async () => {
    for (const dir of [sc.rchDir, sc.localDir]) {
      const manifest = join(dir, "util", "Cargo.toml");
      writeFileSync(manifest, `${readFileSync(manifest, "utf8")}\n[dependencies]\nvone = "0.1"\n`);
    }
    const rch = await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS });
    expect(rch.code).toBe(0);
    expect((await sc.local(["cargo", "build"], { timeoutMs: BUILD_MS })).code).toBe(0);
    const lock = readFileSync(join(sc.rchDir, "Cargo.lock"), "utf8");
    expect(lock).toBe(readFileSync(join(sc.localDir, "Cargo.lock"), "utf8"));
    expect(lock).toMatch(/name = "util"\nversion = "0.1.0"\ndependencies = \[\n "vone",\n\]/);
  });

  test("a file cargo deletes on the worker is deleted here: cached warnings of a unit that built clean", async () => {
    for (const dir of [sc.rchDir, sc.localDir])
      writeFileSync(join(dir, "util", "src", "lib.rs"), utilLib(true));
    const warned = await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain("unused variable");
    expect(fingerprintFiles(sc.rchDir, "util", "output-lib-util")).toHaveLength(1);
    for (const dir of [sc.rchDir, sc.localDir])
      writeFileSync(join(dir, "util", "src", "lib.rs"), utilLib(false));
    expect((await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS })).code).toBe(0);
    expect(fingerprintFiles(sc.rchDir, "util", "output-lib-util")).toEqual([]);
    // The same steps in the local copy leave the same set of files.
    for (const warn of [true, false]) {
      writeFileSync(join(sc.localDir, "util", "src", "lib.rs"), utilLib(warn));
      expect((await sc.local(["cargo", "build"], { timeoutMs: BUILD_MS })).code).toBe(0);
    }
    expectSameTree(sc, CARGO_TREE);
  });

  test("a file the build deletes on the worker but that changed here during the build is kept", async () => {
    writeFileSync(join(sc.rchDir, "util", "src", "lib.rs"), utilLib(true));
    expect((await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS })).code).toBe(0);
    const [cached] = fingerprintFiles(sc.rchDir, "util", "output-lib-util");
    expect(cached).toBeDefined();
    writeFileSync(join(sc.rchDir, "util", "src", "lib.rs"), utilLib(false));
    // util's build script waits at the gate (after the sync, before util is rebuilt without its
    // warning, which deletes the cached file on the worker): the local edit lands in that window.
    const gate = join(sc.shm, "shared", "gate");
    const running = await sc.startRch([`CARGO_FX_GATE=${gate}`, "cargo", "build"], { timeoutMs: BUILD_MS });
    expect(await waitFile(`${gate}.started`, BUILD_MS)).toBe(true);
    writeFileSync(cached!, `${readFileSync(cached!, "utf8")}edited here\n`);
    writeFileSync(gate, "");
    const r = await running.done;
    expect(r.code).toBe(0);
    expect(readFileSync(cached!, "utf8")).toEndWith("edited here\n");
    expect(r.stderr).toContain("rch: kept the local target/debug/.fingerprint/");
  });
});

describe("plain make (C, pattern rules)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "generated", populate: makeProject, fleet: bed.fleet });
  });
  afterAll(() => sc?.dispose());

  test("after an rch make, a local make has nothing to do; after a local make, neither has rch", async () => {
    const rch = await sc.rch(["make"], { timeoutMs: BUILD_MS });
    expect(rch.code).toBe(0);
    expectRanRemotely(sc, rch, ["prog", "src/main.o"]);
    expect((await sc.local(["make", "-q"], {}, sc.rchDir)).code).toBe(0);
    expect((await sc.local(["make"], {}, sc.rchDir)).stdout).toBe("make: 'prog' is up to date.\n");
    // An edit built here, then the same make through rch: the worker has nothing left to do.
    writeFileSync(
      join(sc.rchDir, "src", "util.c"),
      '#include "util.h"\nint twice(int x) { return x + x; }\n',
    );
    expect((await sc.local(["make"], {}, sc.rchDir)).stdout).toContain("src/util.c");
    const again = await sc.rch(["make"], { timeoutMs: BUILD_MS });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("make: 'prog' is up to date.\n");
  });

  test("the tree holds the files a local make of a copy holds", async () => {
    writeFileSync(
      join(sc.localDir, "src", "util.c"),
      '#include "util.h"\nint twice(int x) { return x + x; }\n',
    );
    expect((await sc.local(["make"])).code).toBe(0);
    expectSameTree(sc);
  });

  test("an executable for another machine: exit 219 with the reason, the local file untouched", async () => {
    const local = join(sc.rchDir, "foreign");
    writeExecutable(local, "#!/bin/sh\necho the local one\n");
    const old = new Date("2020-01-01T00:00:00Z");
    utimesSync(local, old, old); // older than foreign.src: make rebuilds it on the worker
    const r = await sc.rch(["make", "foreign"], { timeoutMs: BUILD_MS });
    expect(r.code).toBe(219);
    expect(r.stderr).toContain(
      "rch: artifacts not returned: foreign is an executable for AArch64 (64-bit); this machine runs x86-64 (64-bit)\n",
    );
    const copy = expectRanRemotely(sc, r);
    expect(readFileSync(join(copy, "foreign")).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(readFileSync(local, "utf8")).toBe("#!/bin/sh\necho the local one\n");
    expect(statSync(local).mtime.getTime()).toBe(old.getTime());
  });
});

describe("autotools: configured here, made on the worker", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "generated",
      populate: autotoolsProject,
      fleet: bed.fleet,
      setup: [["autoreconf", "-i"], ["./configure"]],
    });
  }, BUILD_MS);
  afterAll(() => sc?.dispose());

  test("after an rch make, a local make has nothing to do; after a local make, neither has rch", async () => {
    const rch = await sc.rch(["make"], { timeoutMs: BUILD_MS });
    expect(rch.code).toBe(0);
    expectRanRemotely(sc, rch, ["tiny", "src/main.o"]);
    const run = await sc.local(["./tiny"], {}, sc.rchDir);
    expect(run.stdout).toBe("tiny 1.0 42\n");
    // The regeneration rules (Makefile from Makefile.in, configure, config.status) see nothing to
    // do either. (`make -q tiny` answers 1 even after a purely local make: automake's rules.)
    expect((await sc.local(["make", "-q", "Makefile"], {}, sc.rchDir)).code).toBe(0);
    // automake's `all` always passes through config.h's stamp rule (silently, even after a purely
    // local make): no work means make finds neither an object nor the program to remake.
    const remade = /Must remake target '(tiny|src\/[^']*\.o)'/;
    const local = await sc.local(["make", "-d"], {}, sc.rchDir);
    expect(local.code).toBe(0);
    expect(local.stdout).not.toMatch(remade);
    expect(local.stdout).toContain("No need to remake target 'tiny'");
    const again = await sc.rch(["make", "-d"], { timeoutMs: BUILD_MS });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(remade);
    expect(again.stdout).toContain("No need to remake target 'tiny'");
  });

  test("the tree holds the files a local make of a copy holds", async () => {
    expect((await sc.local(["make"], { timeoutMs: BUILD_MS })).code).toBe(0);
    // autom4te.cache/ and config.log are autoreconf's and configure's, run here on each copy (a
    // log with times, a cache in hash order); objects and the program are built with automake's
    // default -g, whose debug info names the dir they were built in.
    expectSameTree(sc, {
      contentMayDiffer: (rel, binary) => binary || rel === "config.log" || rel.startsWith("autom4te.cache/"),
    });
  });
});

describe("cargo: an executable for another machine in the target dir", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "generated", populate: cargoForeign, fleet: bed.fleet });
  });
  afterAll(() => sc?.dispose());

  test("exit 219 with the reason, and nothing is pulled: no target dir, no Cargo.lock here", async () => {
    const r = await sc.rch(["cargo", "build"], { timeoutMs: BUILD_MS });
    expect(r.code).toBe(219);
    expect(r.stderr).toMatch(
      /^rch: artifacts not returned: target\/debug\/build\/fx-foreign-[0-9a-f]+\/out\/foreign is an executable for AArch64 \(64-bit\); this machine runs x86-64 \(64-bit\)$/m,
    );
    expectRanRemotely(sc, r, ["target/debug/fx-foreign", "Cargo.lock"]);
    expect(existsSync(join(sc.rchDir, "target"))).toBe(false);
    expect(existsSync(join(sc.rchDir, "Cargo.lock"))).toBe(false);
  });
});
