// untilAborted: a wait that a signal ends at once, without losing the value when it comes first.
import { expect, test } from "bun:test";
import { ABORTED, untilAborted } from "../../src/exec/abortable.ts";

test("the value when it comes first; ABORTED the moment the signal fires; errors pass through", async () => {
  const c = new AbortController();
  expect(await untilAborted(Promise.resolve(7), c.signal)).toBe(7);
  const slow = new Promise<number>((r) => setTimeout(() => r(1), 5000));
  const t0 = performance.now();
  setTimeout(() => c.abort(), 20);
  expect(await untilAborted(slow, c.signal)).toBe(ABORTED);
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(await untilAborted(slow, c.signal)).toBe(ABORTED); // already aborted
  await expect(untilAborted(Promise.reject(new Error("x")), new AbortController().signal)).rejects.toThrow(
    "x",
  );
  expect(await untilAborted(Promise.resolve(3), undefined)).toBe(3);
});
