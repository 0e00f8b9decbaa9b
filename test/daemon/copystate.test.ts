// Copies in-process: exclusive holders alone, shared holders together, waiters served in arrival
// order; timeouts and departures never strand the queue; state exists only while a copy is used.
import { expect, test } from "bun:test";
import { Copies } from "../../src/daemon/copies.ts";

/** A lease on w1's copy of /p, as the scheduler makes one: use on grant, release on end. */
function lease(copies: Copies, id: string, worker = "w1") {
  copies.use("/p", worker);
  return {
    id,
    acquire: (mode: "shared" | "exclusive", waitMs: number) => copies.acquire("/p", worker, id, mode, waitMs),
    take: (mode: "shared" | "exclusive") => copies.take("/p", worker, id, mode),
    end: () => copies.release("/p", worker, id),
  };
}

test("exclusive: first come holds; the next waits and gets the copy when the holder leaves", async () => {
  const copies = new Copies();
  const [l1, l2, l3, l4] = ["l1", "l2", "l3", "l4"].map((id) => lease(copies, id));
  const other = lease(copies, "o1", "w2");
  expect(l1!.acquire("exclusive", 1000)).toEqual({ kind: "held" });
  expect(other.acquire("exclusive", 1000)).toEqual({ kind: "held" }); // another worker's copy
  expect(l1!.acquire("exclusive", 1000)).toEqual({ kind: "held" }); // re-claim by the holder
  const second = l2!.acquire("exclusive", 1000);
  const third = l3!.acquire("exclusive", 1000);
  expect(copies.waiting).toBe(2);
  expect([...copies.inUse("/p")!.keys()].sort()).toEqual(["w1", "w2"]);
  l1!.end();
  expect(await second).toEqual({ kind: "held" });
  l2!.end();
  expect(await third).toEqual({ kind: "held" });
  l3!.end();
  expect(l4!.take("exclusive")).toBe(true); // free again
  l4!.end();
  other.end();
  expect(copies.inUse("/p")).toBeUndefined(); // nothing kept once unused
});

test("a waiter that times out or leaves is skipped; no wait at all means an immediate timeout", async () => {
  const copies = new Copies();
  const [l1, l2, l3, l4, l5] = ["l1", "l2", "l3", "l4", "l5"].map((id) => lease(copies, id));
  expect(l1!.take("exclusive")).toBe(true);
  expect(l2!.take("exclusive")).toBe(false);
  expect(l2!.acquire("exclusive", 0)).toEqual({ kind: "timeout" });
  const short = l3!.acquire("exclusive", 20);
  const gone = l4!.acquire("exclusive", 5000);
  const patient = l5!.acquire("exclusive", 5000);
  expect(await short).toEqual({ kind: "timeout" });
  l4!.end();
  expect(await gone).toEqual({ kind: "gone" });
  l1!.end();
  expect(await patient).toEqual({ kind: "held" });
  expect(copies.waiting).toBe(0);
});

test("shared holders run together; an exclusive one waits for all of them and blocks newcomers", async () => {
  const copies = new Copies();
  const [s1, s2, x1, s3, s4] = ["s1", "s2", "x1", "s3", "s4"].map((id) => lease(copies, id));
  expect(s1!.take("shared")).toBe(true);
  expect(s2!.take("shared")).toBe(true);
  expect(copies.available("/p", "w1", "shared")).toBe(true);
  expect(copies.available("/p", "w1", "exclusive")).toBe(false);
  const x = x1!.acquire("exclusive", 5000);
  // Behind a waiting exclusive one, a shared newcomer queues too (no starvation).
  expect(copies.available("/p", "w1", "shared")).toBe(false);
  const w3 = s3!.acquire("shared", 5000);
  const w4 = s4!.acquire("shared", 5000);
  s1!.end();
  expect(copies.waiting).toBe(3); // s2 still holds it
  s2!.end();
  expect(await x).toEqual({ kind: "held" });
  expect(copies.waiting).toBe(2);
  x1!.end();
  // Both shared waiters get it at once.
  expect(await w3).toEqual({ kind: "held" });
  expect(await w4).toEqual({ kind: "held" });
  expect(copies.waiting).toBe(0);
});

test("an exclusive waiter timing out lets the shared waiters behind it in", async () => {
  const copies = new Copies();
  const [s1, x1, s2] = ["s1", "x1", "s2"].map((id) => lease(copies, id));
  s1!.take("shared");
  const x = x1!.acquire("exclusive", 30);
  const w2 = s2!.acquire("shared", 5000);
  expect(await x).toEqual({ kind: "timeout" });
  expect(await w2).toEqual({ kind: "held" });
});
