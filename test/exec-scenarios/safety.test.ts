// Bringing artifacts back must never hurt the local tree: a file edited
// locally while the build ran remotely keeps the edit, and symlinks in the returned tree are not
// followed out of the project (nothing is written outside it, nothing outside is copied in).
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { expectRanRemotely, expectSameOutput, Scenario, useFleet, waitRemoteFile } from "./harness.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{}]);

// Scenarios are removed with the fleet (useFleet → disposeAll).
const scenario = Scenario.create;

/** A path in a system directory the relative symlinks point at; only a bug could create it. */
const ESCAPED = "/etc/rch-scenario-escape.txt";

describe("local edits during a remote build survive", () => {
  let sc: Scenario;
  const mainEdited = readFileSync(
    join(import.meta.dir, "..", "fixtures", "make-c", "src", "main.c"),
    "utf8",
  ).replace('"gcd"', '"GCD"');
  const genEdited = "#define GEN_VALUE 7 /* edited locally during the build */\n";

  test("a source the build rewrites and a source it only reads keep the local edits", async () => {
    sc = await scenario({ fixture: "make-c", fleet: bed.fleet });
    // The remote build waits at the gate until the edits are made: after the sync-up, before the
    // build's own writes, whatever the speed of this machine.
    const gate = join(sc.shm, "gate");
    const running = await sc.startRch(["make", "slowbuild", "SLEEP=60", `GATE=${gate}`]);
    try {
      expect(await waitRemoteFile(sc, "started.flag", 20_000)).toBe(true);
      // Another agent edits while the worker waits.
      writeFileSync(join(sc.rchDir, "src", "main.c"), mainEdited);
      writeFileSync(join(sc.rchDir, "src", "gen.h"), genEdited);
    } finally {
      writeFileSync(gate, "");
    }
    const rch = await running.done;
    expect(rch.code).toBe(0);
    expectRanRemotely(sc, rch, ["calc", "out/report.txt"]);
    expect(readFileSync(join(sc.rchDir, "src", "main.c"), "utf8")).toBe(mainEdited);
    // The remote build rewrote gen.h; the local edit is newer than the sync and must win.
    expect(readFileSync(join(sc.rchDir, "src", "gen.h"), "utf8")).toBe(genEdited);
    // What the build created and nobody touched locally does come back.
    expect(readFileSync(join(sc.rchDir, "out", "report.txt"), "utf8")).toBe("report from slowbuild\n");
  });

  test("the next local make builds the edited sources (returned objects are not newer than them)", async () => {
    expect(sc).toBeDefined();
    const make = await sc.local(["make"], {}, sc.rchDir);
    expect(make.code).toBe(0);
    const run = await sc.local(["./calc"], {}, sc.rchDir);
    expect(run.stdout).toBe("GCD      21\nfib      102334155\ngen      7\n");
  });
});

// The same, when rch learns the tree state from rchd's live view instead of a walk (issue 11):
// the check that a local file is unchanged since the sync-up then rests on ctime (liveTree.ts).
describe("local edits during a remote build survive, tree state from rchd's live view", () => {
  test("the edits are kept, the untouched outputs come back, and a local make rebuilds", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet });
    const rch = await rchBinary();
    const verbose = (argv: string[]) => sc.startRaw([rch, "exec", "-v", "--", ...argv]).done;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await verbose(["make"]);
      expect(r.code).toBe(0);
      if (r.stderr.includes("rchd's live view")) break;
      expect(Date.now() < deadline).toBe(true); // the view is built within the budget
    }
    const mainEdited = readFileSync(join(sc.rchDir, "src", "main.c"), "utf8").replace('"gcd"', '"GCD"');
    const genEdited = "#define GEN_VALUE 7 /* edited locally during the build */\n";
    const gate = join(sc.shm, "gate");
    const running = sc.startRaw([rch, "exec", "-v", "--", "make", "slowbuild", "SLEEP=60", `GATE=${gate}`]);
    try {
      expect(await waitRemoteFile(sc, "started.flag", 20_000)).toBe(true);
      writeFileSync(join(sc.rchDir, "src", "main.c"), mainEdited);
      writeFileSync(join(sc.rchDir, "src", "gen.h"), genEdited);
    } finally {
      writeFileSync(gate, "");
    }
    const r = await running.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("rchd's live view");
    expect(readFileSync(join(sc.rchDir, "src", "main.c"), "utf8")).toBe(mainEdited);
    expect(readFileSync(join(sc.rchDir, "src", "gen.h"), "utf8")).toBe(genEdited);
    expect(readFileSync(join(sc.rchDir, "out", "report.txt"), "utf8")).toBe("report from slowbuild\n");
    expect((await sc.local(["make"], {}, sc.rchDir)).code).toBe(0);
    const calc = await sc.local(["./calc"], {}, sc.rchDir);
    expect(calc.stdout).toBe("GCD      21\nfib      102334155\ngen      7\n");
  });
});

/** Entries of `dir` (it was created empty for the scenario). */
const entries = (dir: string) => readdirSync(dir);

/** A returned path is either absent or still the build's symlink, never a copy of its target. */
function expectLinkOrAbsent(path: string, target: string) {
  if (!lstatExists(path)) return;
  expect(lstatSync(path).isSymbolicLink(), `${path} should be a symlink, not followed`).toBe(true);
  expect(readlinkSync(path)).toBe(target);
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

describe("symlinks out of the project in returned artifacts", () => {
  afterAll(() => {
    // Only a failing test creates it; remove exactly that file so later runs stay meaningful.
    if (existsSync(ESCAPED)) rmSync(ESCAPED);
  });

  test("make (in-tree): links come back as links (or not at all), nothing written outside", async () => {
    const sc = await scenario({ fixture: "make-c", fleet: bed.fleet });
    const link = await sc.rch(["make", "evil-link", `OUTSIDE=${sc.outside}`]);
    expect(link.code).toBe(0);
    expectRanRemotely(sc, link, ["out/plain.txt"]);
    expect(readFileSync(join(sc.rchDir, "out", "plain.txt"), "utf8")).toBe("inside\n");
    expectLinkOrAbsent(join(sc.rchDir, "out", "abs"), sc.outside);
    expectLinkOrAbsent(join(sc.rchDir, "out", "rel"), "../../../../../../../../etc");

    // Next build: the links become real directories with files. Locally the old links may still
    // be there; returning the new files must replace them, not write through them.
    const dirs = await sc.rch(["make", "evil-dir"]);
    const local = await sc
      .local(["make", "evil-link", `OUTSIDE=${sc.outside}`])
      .then(() => sc.local(["make", "evil-dir"]));
    expect(dirs.code).toBe(0);
    expect(entries(sc.outside)).toEqual([]);
    expect(existsSync(ESCAPED)).toBe(false);
    expectSameOutput(sc, dirs, local);
    expect(readFileSync(join(sc.rchDir, "out", "abs", "payload.txt"), "utf8")).toBe("pwned\n");
    expect(lstatSync(join(sc.rchDir, "out", "rel")).isDirectory()).toBe(true);
  });

  test("cargo target dir: links come back as links (or not at all), nothing written outside", async () => {
    const sc = await scenario({ fixture: "cargo-ws", fleet: bed.fleet });
    const link = await sc.rch([`FX_EVIL_LINK=${sc.outside}`, "cargo", "build"]);
    expect(link.code).toBe(0);
    expectRanRemotely(sc, link, ["target/debug/fxapp"]);
    expectLinkOrAbsent(join(sc.rchDir, "target", "debug", "evil-abs"), sc.outside);
    expectLinkOrAbsent(join(sc.rchDir, "target", "debug", "evil-rel"), "../../../../../../../../../etc");

    const dirs = await sc.rch(["FX_EVIL_DIR=1", "cargo", "build"]);
    expect(dirs.code).toBe(0);
    expect(entries(sc.outside)).toEqual([]);
    expect(existsSync(ESCAPED)).toBe(false);
    const abs = join(sc.rchDir, "target", "debug", "evil-abs");
    expect(lstatSync(abs).isDirectory()).toBe(true);
    expect(readFileSync(join(abs, "payload.txt"), "utf8")).toBe("pwned\n");
  });
});
