// End to end on the real loopback worker bed: with the shims first in PATH, a plain `sh -c make`
// (no hook, no rch in the command) builds on the worker and brings the artifact back, exactly as
// a local make would; the build on the worker carries the nested marker.
import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  expectRanRemotely,
  expectSameOutput,
  expectSameTree,
  Scenario,
  TREE,
  useFleet,
} from "../exec-scenarios/harness.ts";
import { run } from "../exec-scenarios/proc.ts";
import { rchBinary } from "../exec-scenarios/rchbin.ts";

setDefaultTimeout(90_000);
const bed = useFleet([{ id: "w1" }]);

let sc: Scenario;
let shim: string;

/** The scenario's env with the shims first in PATH. */
const shimmed = () => ({ PATH: `${shim}:${sc.env.PATH}` });

beforeAll(async () => {
  sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
  shim = join(sc.root, "shim");
  const r = await run([await rchBinary(), "shim", "install", shim], {
    cwd: sc.root,
    env: sc.env,
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`rch shim install: ${r.stderr}${r.stdout}`);
});

test("sh -c make with the shim first in PATH builds on the worker and brings calc back", async () => {
  const r = await sc.startRaw(["sh", "-c", "make"], { env: shimmed() }).done;
  const local = await sc.local(["make"]);
  expectRanRemotely(sc, r, ["calc"]);
  expectSameOutput(sc, r, local);
  expectSameTree(sc, TREE.make);
  expect(existsSync(join(sc.rchDir, "calc"))).toBe(true);
});

test("the build on the worker is marked nested: a shim there would leave its tools alone", async () => {
  const mk = 'show:\n\t@echo "nested=$$RCH_NESTED user=$$(id -un)"\n';
  for (const d of [sc.rchDir, sc.localDir]) writeFileSync(join(d, "show.mk"), mk);
  const r = await sc.startRaw(["sh", "-c", "make -f show.mk show"], { env: shimmed() }).done;
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`nested=1 user=${bed.fleet.worker("w1").user}\n`);
});
