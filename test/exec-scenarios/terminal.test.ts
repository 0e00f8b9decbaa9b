// What a person at a terminal sees, and a bun project whose dependencies change between runs.
// Colours: with stdout a terminal, rch forces colour on the worker (CARGO_TERM_COLOR and friends)
// so the output matches a local run in the same terminal escape for escape; NO_COLOR wins.
// Bun: node_modules is never synced; the worker re-installs exactly when package.json or the
// lockfile changed since its last install.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shJoin } from "../../src/shell/quote.ts";
import { expectRanRemotely, expectSameOutput, Scenario, useFleet } from "./harness.ts";
import { normalize } from "./normalize.ts";
import { run } from "./proc.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{}]);

const ESC_SEQ = /\x1b\[[0-9;]*m/g;
const plain = (s: string) => s.replaceAll(ESC_SEQ, "").replaceAll("\r\n", "\n");

/** argv run in `dir` with a pseudo-terminal as stdin/stdout/stderr (util-linux script(1)); the
 * terminal's output is the returned stdout. */
function inTerminal(sc: Scenario, dir: string, argv: string[], env: Record<string, string> = {}) {
  return run(["script", "-qec", shJoin(argv), "/dev/null"], {
    cwd: dir,
    env: { ...sc.env, TERM: "xterm-256color", ...env },
    timeoutMs: 90_000,
  });
}

describe("cargo in a terminal", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({ fixture: "cargo-ws", fleet: bed.fleet });
  });
  afterAll(() => sc?.dispose());

  test("colours come back exactly as a local run prints them", async () => {
    const rch = await inTerminal(sc, sc.rchDir, [await rchBinary(), "exec", "--", "cargo", "build"]);
    const local = await inTerminal(sc, sc.localDir, ["cargo", "build"]);
    expect(local.code).toBe(0);
    expect(rch.code).toBe(0);
    const escapes = (s: string) => [...s.matchAll(ESC_SEQ)].map((m) => m[0]);
    expect(escapes(local.stdout).length).toBeGreaterThan(0);
    expect(escapes(rch.stdout)).toEqual(escapes(local.stdout));
    expect(normalize(plain(rch.stdout), { root: sc.rchDir })).toBe(
      normalize(plain(local.stdout), { root: sc.localDir }),
    );
    expectRanRemotely(sc, { ...rch, stderr: plain(rch.stdout) });
  });

  test("NO_COLOR in the terminal: no colour on either side", async () => {
    const env = { NO_COLOR: "1" };
    const argv = ["cargo", "build", "--release"];
    const rch = await inTerminal(sc, sc.rchDir, [await rchBinary(), "exec", "--", ...argv], env);
    const local = await inTerminal(sc, sc.localDir, argv, env);
    expect(local.code).toBe(0);
    expect(rch.code).toBe(0);
    expect(local.stdout).not.toMatch(ESC_SEQ);
    expect(rch.stdout).not.toMatch(ESC_SEQ);
    expect(normalize(plain(rch.stdout), { root: sc.rchDir })).toBe(
      normalize(plain(local.stdout), { root: sc.localDir }),
    );
  });
});

describe("bun: the worker installs again when the dependencies change", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "bun-tests",
      fleet: bed.fleet,
      setup: [["bun", "install", "--frozen-lockfile"]],
    });
  });
  afterAll(() => sc?.dispose());

  const installLog = () => `${sc.remoteCopy()!.dir}.rch-bun.log`;
  const mtime = (path: string) => statSync(path).mtimeMs;

  test("unchanged dependencies: one install on the worker, not one per run", async () => {
    const first = await sc.rch(["bun", "test"]);
    expect(first.code).toBe(0);
    expectRanRemotely(sc, first);
    const installedAt = mtime(installLog());
    const second = await sc.rch(["bun", "test"]);
    expect(second.code).toBe(0);
    expect(mtime(installLog())).toBe(installedAt);
  });

  test("a new workspace package and an updated lockfile: re-installed, and the test that needs it passes", async () => {
    const installedAt = mtime(installLog());
    for (const dir of [sc.rchDir, sc.localDir]) {
      const pkg = join(dir, "packages", "fxextra");
      mkdirSync(pkg);
      writeFileSync(
        join(pkg, "package.json"),
        `${JSON.stringify({ name: "@fx/extra", version: "1.0.0", main: "index.js" })}\n`,
      );
      writeFileSync(join(pkg, "index.js"), "export const extra = () => 'extra ok';\n");
      writeFileSync(
        join(dir, "package.json"),
        `${JSON.stringify(
          {
            name: "fx-bun",
            private: true,
            workspaces: ["packages/*"],
            dependencies: { "@fx/util": "workspace:*", "@fx/extra": "workspace:*" },
          },
          null,
          2,
        )}\n`,
      );
      writeFileSync(
        join(dir, "test", "extra.test.js"),
        "import { expect, test } from 'bun:test';\nimport { extra } from '@fx/extra';\n\ntest('extra', () => expect(extra()).toBe('extra ok'));\n",
      );
      const install = await sc.local(["bun", "install"], {}, dir); // updates bun.lock, as an agent would
      expect(install.code).toBe(0);
    }
    const rch = await sc.rch(["bun", "test"]);
    const local = await sc.local(["bun", "test"]);
    expect(local.code).toBe(0);
    expect(local.stderr).toContain("(pass) extra");
    expectSameOutput(sc, rch, local, { sortBunFiles: true });
    expectRanRemotely(sc, rch);
    expect(mtime(installLog())).toBeGreaterThan(installedAt);
  });
});
