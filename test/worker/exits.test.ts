// run.sh's reserved exit codes and the table rch decodes them with (src/worker/exits.ts) must
// agree: a code only one side knows would turn "nothing ran" into a build's status, or back.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NOT_STARTED } from "../../src/worker/exits.ts";

test("every EXIT_* of run.sh is in the table with the same code, and the table has no other", () => {
  const text = readFileSync(join(import.meta.dir, "../../src/worker/run.sh"), "utf8");
  // The readonly line and its continuation lines (ending in a backslash).
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.startsWith("readonly EXIT_"));
  let last = first;
  while (lines[last]?.endsWith("\\")) last++;
  const header = lines.slice(first, last + 1).join(" ");
  const codes = [...header.matchAll(/EXIT_[A-Z_]+=(\d+)/g)].map((m) => Number(m[1])).sort();
  const table = NOT_STARTED.map((e) => e.code)
    .filter((c) => c !== 255) // ssh's own
    .sort();
  expect(codes.length).toBeGreaterThan(0);
  expect(codes).toEqual(table);
});
