// A worker's copy of a project serves one leading build at a time (a sync into it would delete
// another build's fresh outputs): a real daemon over its socket, simulated workers.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Lease, Selection } from "../../src/protocol/selector.ts";
import { cleanUp } from "../support/cleanup.ts";
import {
  admin,
  type DaemonProc,
  fakeWorkersToml,
  job,
  makeEnv,
  type RchEnv,
  selector,
  startDaemon,
  waitFor,
} from "./helpers.ts";

setDefaultTimeout(30_000);

let rch: RchEnv;
let daemon: DaemonProc;
const open: { close(): void }[] = [];

/** How long a claim may wait for a busy copy. Long enough that no step of a slow machine between a
 * claim and the release it waits for can use it up; the test that waits it out pays it once. */
const SLOT_WAIT_MS = 5000;
/** A claim the daemon can answer at once must settle within this (typically < 10 ms): well below
 * SLOT_WAIT_MS, so "granted when the copy came free" is never confused with "after the wait". */
const PROMPT_MS = 2500;

beforeAll(async () => {
  rch = makeEnv();
  rch.writeConfig({ daemon: { slot_wait_ms: SLOT_WAIT_MS } });
  rch.writeWorkers(fakeWorkersToml(1, 4));
  daemon = await startDaemon(rch, ["--no-heartbeat"]);
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(() =>
  cleanUp(
    () => daemon?.stop(),
    () => rch?.cleanup(),
  ),
);

function client() {
  const c = selector(rch);
  open.push(c);
  return c;
}

async function leaseFor(over: Parameters<typeof job>[0]): Promise<Lease> {
  const s: Selection = await client().select(job(over));
  if (s.kind !== "worker") throw new Error(`expected a lease: ${JSON.stringify(s)}`);
  return s.lease;
}

const pending = Symbol("pending");
const settledWithin = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, Bun.sleep(ms).then(() => pending as typeof pending)]);

test("one worker: a different build of the same project waits for the copy, then leads", async () => {
  const a = await leaseFor({ projectRoot: "/p/one", argv: ["make", "a"], sourceState: "" });
  const b = await leaseFor({ projectRoot: "/p/one", argv: ["make", "b"], sourceState: "" });
  expect(a.worker.id).toBe("f1");
  expect(b.worker.id).toBe("f1"); // the only worker: the copy is shared, so b's claim must wait
  expect(await a.claim!("tree-1")).toEqual({ kind: "lead" });
  const bClaim = b.claim!("tree-1");
  expect(await settledWithin(bClaim, 300)).toBe(pending);
  const ops = admin(rch);
  const states = async () =>
    (await ops.status(0)).jobs.active.filter((j) => j.project === "/p/one").map((j) => j.state);
  expect((await states()).sort()).toEqual(["running", "waiting"]);
  // Another project on the same worker is not held up.
  const other = await leaseFor({ projectRoot: "/p/two", argv: ["make", "a"], sourceState: "" });
  expect(await other.claim!("tree-9")).toEqual({ kind: "lead" });
  await a.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
  expect(await settledWithin(bClaim, PROMPT_MS)).toEqual({ kind: "lead" });
  expect(await states()).toEqual(["running"]);
  ops.close();
  await b.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
  await other.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
});

test("cargo-like builds (outputs only in a dir syncs leave alone) share the copy; an in-tree build waits for them", async () => {
  const shared = { projectRoot: "/p/rust", sourceState: "", sharedCopy: true };
  const a = await leaseFor({ ...shared, argv: ["cargo", "build"] });
  const b = await leaseFor({ ...shared, argv: ["cargo", "test"] });
  expect(await a.claim!("tree-1")).toEqual({ kind: "lead" });
  expect(await settledWithin(b.claim!("tree-1"), PROMPT_MS)).toEqual({ kind: "lead" }); // side by side
  const m = await leaseFor({ projectRoot: "/p/rust", sourceState: "", argv: ["make", "docs"] });
  const mClaim = m.claim!("tree-1");
  expect(await settledWithin(mClaim, 300)).toBe(pending);
  await a.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
  expect(await settledWithin(mClaim, 300)).toBe(pending); // b still builds in the copy
  await b.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
  expect(await settledWithin(mClaim, PROMPT_MS)).toEqual({ kind: "lead" });
  await m.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
});

test("the copy stays busy past slot_wait_ms: the waiter is told to run locally and its slot is free", async () => {
  const a = await leaseFor({ projectRoot: "/p/busy", argv: ["make", "a"], sourceState: "" });
  const b = await leaseFor({ projectRoot: "/p/busy", argv: ["make", "b"], sourceState: "" });
  expect(await a.claim!("tree-1")).toEqual({ kind: "lead" });
  const t0 = performance.now();
  const r = await b.claim!("tree-1");
  const waited = performance.now() - t0;
  expect(r.kind).toBe("local");
  expect(r.kind === "local" && r.reason).toContain("the copy of this project on f1 stayed busy");
  expect(waited).toBeGreaterThanOrEqual(SLOT_WAIT_MS - 100);
  const ops = admin(rch);
  await waitFor("only a holds a slot", async () => (await ops.status(0)).workers[0]!.usedSlots === 1);
  const st = await ops.status(20);
  const mine = st.jobs.recent.filter((j) => j.project === "/p/busy");
  expect(mine.map((j) => j.state)).toEqual(["local"]);
  expect(mine[0]!.reason).toContain("stayed busy");
  await b.release({ kind: "remote", exitCode: 0, remoteMs: 1 }); // a no-op: the lease is gone
  await a.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
  ops.close();
});

test("an identical build still follows the one in the copy instead of waiting for it", async () => {
  const a = await leaseFor({ projectRoot: "/p/same", argv: ["make", "x"], sourceState: "" });
  const b = await leaseFor({ projectRoot: "/p/same", argv: ["make", "x"], sourceState: "" });
  expect(await a.claim!("tree-1")).toEqual({ kind: "lead" });
  const r = await settledWithin(b.claim!("tree-1"), PROMPT_MS);
  expect(r).toMatchObject({ kind: "follow" });
  await a.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
});

test("a client that disconnects while waiting for the copy loses its place, not the leader's", async () => {
  const a = await leaseFor({ projectRoot: "/p/gone", argv: ["make", "a"], sourceState: "" });
  const bClient = client();
  const s = await bClient.select(job({ projectRoot: "/p/gone", argv: ["make", "b"], sourceState: "" }));
  if (s.kind !== "worker") throw new Error("expected a lease");
  expect(await a.claim!("tree-1")).toEqual({ kind: "lead" });
  void s.lease.claim!("tree-1");
  // b's claim has reached the daemon and queues for the copy (a job shows "waiting" in status from
  // its select on, so the debug log is what tells).
  await waitFor("b to queue for the copy", () =>
    daemon.log().includes(": waiting for the copy of /p/gone on"),
  );
  bClient.close();
  const ops = admin(rch);
  await waitFor("the daemon to drop b", async () =>
    (await ops.status(0)).jobs.active.every((j) => j.project !== "/p/gone" || j.state !== "waiting"),
  );
  ops.close();
  const c = await leaseFor({ projectRoot: "/p/gone", argv: ["make", "c"], sourceState: "" });
  const cClaim = c.claim!("tree-1");
  await a.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
  expect(await settledWithin(cClaim, PROMPT_MS)).toEqual({ kind: "lead" }); // next in line after b left
  await c.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
});
