// rchd's registry of live views: the first ask starts a view in the background (that build
// walks for itself), later asks get it; views are capped in number; a rules change is another view.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TreeViews } from "../../src/daemon/treeviews.ts";
import { scanTree } from "../../src/transfer/fingerprint.ts";
import { compileRules, type FilterRule } from "../../src/transfer/rules.ts";

const base = mkdtempSync("/tmp/rch-treeviews-");
const views = new TreeViews();
afterAll(() => {
  views.close();
  rmSync(base, { recursive: true, force: true });
});

const rules: FilterRule[] = [{ include: false, pattern: "node_modules/" }];

function project(name: string): string {
  const root = join(base, name);
  mkdirSync(join(root, "src"), { recursive: true });
  writeFileSync(join(root, "src", "a.c"), "int a;\n");
  mkdirSync(join(root, "node_modules", "x"), { recursive: true });
  writeFileSync(join(root, "node_modules", "x", "i.js"), "");
  return root;
}

/** Asks until the view is there (it is built in the background), within a budget of asks. */
async function ready(root: string, r: FilterRule[] = rules) {
  for (let i = 0; i < 1000; i++) {
    const a = await views.ask(root, r);
    if (a.kind === "ready") return a.view;
    expect(a.why).toContain("being built");
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error("the view was never built");
}

test("first ask: being built; then the view, equal to a walk, and current at every ask", async () => {
  const root = project("p0");
  expect(await views.ask(root, rules)).toEqual({ kind: "unavailable", why: "the live view is being built" });
  const view = await ready(root);
  expect(view.fingerprint()).toBe(scanTree(root, compileRules(rules)).hash);
  writeFileSync(join(root, "src", "b.c"), "int b;\n");
  const again = await views.ask(root, rules);
  expect(again.kind).toBe("ready");
  expect(view.fingerprint()).toBe(scanTree(root, compileRules(rules)).hash);
});

test("other rules are another view; at most 4 views are kept", async () => {
  const root = project("p1");
  await ready(root);
  const other: FilterRule[] = [...rules, { include: false, pattern: "/src/" }];
  const v2 = await ready(root, other);
  expect(v2.fingerprint()).toBe(scanTree(root, compileRules(other)).hash);
  for (let i = 2; i < 6; i++) await ready(project(`p${i}`));
  expect(views.size).toBe(4);
});
