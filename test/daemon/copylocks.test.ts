// CopyLocks in-process: one holder per copy, waiters served in arrival order, timeouts and
// departures never strand the queue.
import { expect, test } from "bun:test";
import { CopyLocks } from "../../src/daemon/copies.ts";

test("first come holds; the next waits and gets the copy when the holder leaves", async () => {
  const locks = new CopyLocks();
  expect(locks.acquire("w1\0/p", "l1", 1000)).toEqual({ kind: "held" });
  expect(locks.acquire("w2\0/p", "l2", 1000)).toEqual({ kind: "held" }); // another worker's copy
  expect(locks.acquire("w1\0/p", "l1", 1000)).toEqual({ kind: "held" }); // re-claim by the holder
  const second = locks.acquire("w1\0/p", "l3", 1000);
  const third = locks.acquire("w1\0/p", "l4", 1000);
  expect(locks.waiting).toBe(2);
  locks.leave("w1\0/p", "l1");
  expect(await second).toEqual({ kind: "held" });
  locks.leave("w1\0/p", "l3");
  expect(await third).toEqual({ kind: "held" });
  locks.leave("w1\0/p", "l4");
  expect(locks.acquire("w1\0/p", "l5", 0)).toEqual({ kind: "held" }); // free again
});

test("a waiter that times out or leaves is skipped; no wait at all means an immediate timeout", async () => {
  const locks = new CopyLocks();
  expect(locks.take("c", "l1")).toBe(true);
  expect(locks.take("c", "l2")).toBe(false);
  expect(locks.acquire("c", "l2", 0)).toEqual({ kind: "timeout" });
  const short = locks.acquire("c", "l3", 20);
  const gone = locks.acquire("c", "l4", 5000);
  const patient = locks.acquire("c", "l5", 5000);
  expect(await short).toEqual({ kind: "timeout" });
  locks.leave("c", "l4");
  expect(await gone).toEqual({ kind: "gone" });
  locks.leave("c", "l1");
  expect(await patient).toEqual({ kind: "held" });
  expect(locks.waiting).toBe(0);
});
