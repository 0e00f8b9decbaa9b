// CopyLocks in-process: exclusive holders alone, shared holders together, waiters served in
// arrival order; timeouts and departures never strand the queue.
import { expect, test } from "bun:test";
import { CopyLocks } from "../../src/daemon/copies.ts";

test("exclusive: first come holds; the next waits and gets the copy when the holder leaves", async () => {
  const locks = new CopyLocks();
  expect(locks.acquire("w1\0/p", "l1", "exclusive", 1000)).toEqual({ kind: "held" });
  expect(locks.acquire("w2\0/p", "l2", "exclusive", 1000)).toEqual({ kind: "held" }); // another copy
  expect(locks.acquire("w1\0/p", "l1", "exclusive", 1000)).toEqual({ kind: "held" }); // re-claim
  const second = locks.acquire("w1\0/p", "l3", "exclusive", 1000);
  const third = locks.acquire("w1\0/p", "l4", "exclusive", 1000);
  expect(locks.waiting).toBe(2);
  locks.leave("w1\0/p", "l1");
  expect(await second).toEqual({ kind: "held" });
  locks.leave("w1\0/p", "l3");
  expect(await third).toEqual({ kind: "held" });
  locks.leave("w1\0/p", "l4");
  expect(locks.take("w1\0/p", "l5", "exclusive")).toBe(true); // free again
});

test("a waiter that times out or leaves is skipped; no wait at all means an immediate timeout", async () => {
  const locks = new CopyLocks();
  expect(locks.take("c", "l1", "exclusive")).toBe(true);
  expect(locks.take("c", "l2", "exclusive")).toBe(false);
  expect(locks.acquire("c", "l2", "exclusive", 0)).toEqual({ kind: "timeout" });
  const short = locks.acquire("c", "l3", "exclusive", 20);
  const gone = locks.acquire("c", "l4", "exclusive", 5000);
  const patient = locks.acquire("c", "l5", "exclusive", 5000);
  expect(await short).toEqual({ kind: "timeout" });
  locks.leave("c", "l4");
  expect(await gone).toEqual({ kind: "gone" });
  locks.leave("c", "l1");
  expect(await patient).toEqual({ kind: "held" });
  expect(locks.waiting).toBe(0);
});

test("shared holders run together; an exclusive one waits for all of them and blocks newcomers", async () => {
  const locks = new CopyLocks();
  expect(locks.take("c", "s1", "shared")).toBe(true);
  expect(locks.take("c", "s2", "shared")).toBe(true);
  expect(locks.available("c", "shared")).toBe(true);
  expect(locks.available("c", "exclusive")).toBe(false);
  const x = locks.acquire("c", "x1", "exclusive", 5000);
  // Behind a waiting exclusive one, a shared newcomer queues too (no starvation).
  expect(locks.available("c", "shared")).toBe(false);
  const s3 = locks.acquire("c", "s3", "shared", 5000);
  const s4 = locks.acquire("c", "s4", "shared", 5000);
  locks.leave("c", "s1");
  expect(locks.waiting).toBe(3); // s2 still holds it
  locks.leave("c", "s2");
  expect(await x).toEqual({ kind: "held" });
  expect(locks.waiting).toBe(2);
  locks.leave("c", "x1");
  // Both shared waiters get it at once.
  expect(await s3).toEqual({ kind: "held" });
  expect(await s4).toEqual({ kind: "held" });
  expect(locks.waiting).toBe(0);
});

test("an exclusive waiter timing out lets the shared waiters behind it in", async () => {
  const locks = new CopyLocks();
  locks.take("c", "s1", "shared");
  const x = locks.acquire("c", "x1", "exclusive", 30);
  const s2 = locks.acquire("c", "s2", "shared", 5000);
  expect(await x).toEqual({ kind: "timeout" });
  expect(await s2).toEqual({ kind: "held" });
});
