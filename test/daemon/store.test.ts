// The daemon's SQLite store in-process: queued writes coalesce per key, background flushing goes
// in slices so a burst never holds the event loop for long, and everything survives a reopen.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { History } from "../../src/daemon/history.ts";
import { Store } from "../../src/daemon/store.ts";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync("/tmp/rch-store-");
  path = join(dir, "state", "rchd.sqlite");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = () =>
  Store.open(path, (m) => {
    throw new Error(m);
  });

function timingRow(store: Store, project: string) {
  return store.db
    .query("select ms, samples from timings where project = $p and kind = 'make' and place = 'remote'")
    .get({ p: project }) as { ms: number; samples: number } | null;
}

test("repeated timings of one project coalesce into one write that keeps the latest average and every sample", () => {
  const store = open();
  for (let i = 0; i < 10; i++) store.recordTiming("/p", "make", "remote", 100 * (i + 1));
  const expected = store.timing("/p", "make").remoteMs;
  expect(timingRow(store, "/p")).toBeNull(); // nothing committed yet: it is a batch
  const changes = () => (store.db.query("select total_changes() as n").get() as { n: number }).n;
  const before = changes();
  store.flush();
  expect(changes() - before).toBe(1); // ten samples, one row written once
  const row = timingRow(store, "/p")!;
  expect(row.samples).toBe(10);
  expect(Math.round(row.ms)).toBe(expected!);
  store.recordTiming("/p", "make", "remote", 50);
  store.flush();
  expect(timingRow(store, "/p")!.samples).toBe(11);
  store.close();
  const again = open();
  expect(again.timing("/p", "make").remoteMs).toBe(Math.round(timingRow(again, "/p")!.ms));
  again.close();
});

test("affinity keeps the last worker written for a project", () => {
  const store = open();
  store.setAffinity("/p", "w1");
  store.setAffinity("/q", "w2");
  store.setAffinity("/p", "w3");
  store.close();
  const again = open();
  expect(Object.fromEntries(again.affinity())).toEqual({ "/p": "w3", "/q": "w2" });
  again.close();
});

test("background flushing commits a large burst in slices, yielding to the event loop between them", async () => {
  const store = open();
  const history = new History(store, 100_000);
  const n = 500;
  for (let i = 0; i < n; i++) {
    history.record({
      jobId: `j-${i}`,
      project: "/p",
      kind: "make",
      command: `make ${i}`,
      startedAt: Date.now(),
      state: "remote",
      followers: 0,
    });
  }
  const count = () => (store.db.query("select count(*) as n from jobs").get() as { n: number }).n;
  // Wait for the first slice only: the timer commits part of the burst, not all of it.
  const end = Date.now() + 2000;
  while (count() === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
  const first = count();
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThan(n);
  while (count() < n && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
  expect(count()).toBe(n);
  expect(history.recent(1)[0]?.jobId).toBe(`j-${n - 1}`);
  store.close();
});

test("reads flush first: recent() sees a job recorded a moment ago", () => {
  const store = open();
  const history = new History(store, 3);
  for (let i = 0; i < 5; i++) {
    history.record({
      jobId: `j-${i}`,
      project: "/p",
      kind: "make",
      command: "make",
      startedAt: i,
      state: "remote",
      followers: 0,
    });
  }
  expect(history.recent(10).map((j) => j.jobId)).toEqual(["j-4", "j-3", "j-2"]); // bounded at 3
  expect(history.count()).toBe(3);
  store.close();
});
