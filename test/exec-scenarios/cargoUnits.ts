// cargo's own verdict on a build, for the scenario files: which units `cargo build -v` found
// Fresh, Dirty (and why) or compiled, and whether the worker runs builds at the project's path.
import { expect } from "bun:test";
import type { Scenario } from "./harness.ts";
import type { Outcome } from "./proc.ts";

const BUILD_MS = 240_000;

export type Unit = { name: string; state: "Fresh" | "Dirty" | "Compiling"; why: string };

/** cargo -v's verdict per unit: `Fresh name v…`, `Dirty name v… (…): why`, `Compiling name v…`. */
export function units(o: Outcome): Unit[] {
  const out: Unit[] = [];
  for (const line of o.stderr.split("\n")) {
    const m = /^\s+(Fresh|Dirty|Compiling) (\S+) v\S+(?: \([^)]*\))?(?:: (.*))?$/.exec(line);
    if (m) out.push({ name: m[2]!, state: m[1] as Unit["state"], why: m[3] ?? "" });
  }
  return out;
}

const VENDORED = new Set(["vone", "vtwo"]);

/**
 * Every unit Fresh. At a mapped path, cargo fingerprints a vendored package by its absolute
 * source path (measured with cargo 1.95: "the path to the source changed"), so those packages and
 * the ones depending on them rebuild; everything else must still be Fresh.
 */
export function expectNoWork(o: Outcome, samePath: boolean): void {
  expect(o.code).toBe(0);
  const all = units(o);
  expect(all.length).toBeGreaterThan(0);
  const notFresh = all.filter((u) => u.state !== "Fresh");
  if (samePath) {
    expect(notFresh).toEqual([]);
    return;
  }
  for (const u of notFresh.filter((u) => u.state === "Dirty")) {
    expect(u.why).toMatch(VENDORED.has(u.name) ? /the path to the source changed/ : /info of dependency/);
  }
  expect(all.filter((u) => u.name === "util" && u.state !== "Fresh")).toEqual([]);
}

/** Does the worker run builds at the project's own path? Asked of the build itself, as bytes:
 * rch rewrites worker paths in output, never in a hex dump. */
export async function sameWorkerPath(sc: Scenario): Promise<boolean> {
  const hex = (s: string) => s.replace(/\s/g, "");
  const r = await sc.rch(["sh", "-c", "pwd -P | od -An -tx1"], { timeoutMs: BUILD_MS });
  expect(r.code).toBe(0);
  const here = await sc.local(["sh", "-c", "pwd -P | od -An -tx1"], {}, sc.rchDir);
  return hex(r.stdout) === hex(here.stdout);
}
