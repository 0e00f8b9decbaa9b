// Project paths inside flag lists and environment values: re-rooted at the worker's copy, so a
// build that names its own files absolutely finds them there; a path outside the project (which
// the sync does not carry) keeps the build local, with one line saying which variable.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectRanRemotely, expectSameOutput, Scenario, useFleet } from "./harness.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{}]);

describe("C compile with include dirs named by absolute path", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    for (const dir of [sc.rchDir, sc.localDir]) {
      mkdirSync(join(dir, "inc"));
      writeFileSync(join(dir, "inc", "extra.h"), "#define FX_EXTRA 7\n");
      const probe =
        '#include <stdio.h>\n#include "extra.h"\nint main(void) { printf("extra %d\\n", FX_EXTRA); return 0; }\n';
      writeFileSync(join(dir, "src", "probe.c"), probe);
      writeFileSync(join(dir, "src", "probe3.c"), probe);
    }
  });
  afterAll(() => sc?.dispose());

  /** argv with the copy's own directory in place of <ROOT>. */
  const inCopy = (dir: string, argv: string[]) => argv.map((w) => w.replaceAll("<ROOT>", dir));

  async function both(argv: string[]) {
    const rch = await sc.rch(inCopy(sc.rchDir, argv));
    const local = await sc.local(inCopy(sc.localDir, argv));
    return { rch, local };
  }

  test("CPATH=/usr/local/include:<project>/inc (mid-value) reaches the compiler re-rooted", async () => {
    const { rch, local } = await both([
      "CPATH=/usr/local/include:<ROOT>/inc",
      "gcc",
      "-o",
      "probe",
      "src/probe.c",
    ]);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["probe"]);
    const run = await sc.inBoth(["./probe"]);
    expect(run.rch.stdout).toBe("extra 7\n");
  });

  test('make "CFLAGS=-O2 -I<project>/inc": the flag list inside one argument is re-rooted', async () => {
    const { rch, local } = await both(["make", "src/probe", "CFLAGS=-O2 -I<ROOT>/inc"]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(`-I${sc.localDir}/inc`); // make echoes the local path, and so does rch
    expectSameOutput(sc, rch, local);
    expectRanRemotely(sc, rch, ["src/probe"]);
    const run = await sc.inBoth(["./src/probe"]);
    expect(run.rch.stdout).toBe("extra 7\n");
  });

  test("CFLAGS in the environment naming an include dir outside the project: runs locally (verbose says why)", async () => {
    const outsideDir = join(sc.root, "elsewhere"); // not synced, not a path every machine has
    mkdirSync(outsideDir);
    writeFileSync(join(outsideDir, "extra.h"), "#define FX_EXTRA 9\n");
    const env = { CFLAGS: `-O2 -I${outsideDir}` };
    const argv = ["make", "-e", "src/probe3"];
    const rch = await sc.rch(argv, { env });
    const local = await sc.local(argv, { env });
    expect(local.code).toBe(0);
    // Deciding to stay local is silent, as for any build that needs files outside its project.
    expectSameOutput(sc, rch, local);
    // The worker's copy (from the tests above) never saw this build; on this shared machine it
    // could have read the include dir, so only the plan kept it local.
    expect(existsSync(join(sc.remoteCopy()!.dir, "src", "probe3"))).toBe(false);
    expect((await sc.inBoth(["./src/probe3"])).rch.stdout).toBe("extra 9\n");
    const verbose = await sc.rch(argv, { env: { ...env, RCH_VERBOSE: "1" } });
    expect(verbose.stderr).toContain(`running locally: CFLAGS names -I${outsideDir}, outside the project`);
  });
});
