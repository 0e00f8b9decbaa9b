// The idle collector runs a collection only once traffic has gone quiet, and only when enough
// messages went by since the last one to make it worth doing. Assertions are about order (how
// long after the last message each collection ran), so a slow machine cannot make them flaky.
import { expect, test } from "bun:test";
import { IdleCollector } from "../../src/daemon/idlegc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const QUIET = 20;

function recorder() {
  let lastTouch = 0;
  const quietBefore: number[] = [];
  const gc = new IdleCollector({
    quietMs: QUIET,
    minMessages: 100,
    collect: () => quietBefore.push(performance.now() - lastTouch),
  });
  const touch = (n: number) => {
    for (let i = 0; i < n; i++) gc.touch();
    lastTouch = performance.now();
  };
  return { gc, touch, quietBefore };
}

test("collects after a busy stretch goes quiet, never while messages keep coming", async () => {
  const { gc, touch, quietBefore } = recorder();
  const until = performance.now() + 100;
  while (performance.now() < until) {
    touch(10);
    await sleep(2);
  }
  await sleep(QUIET * 4);
  expect(quietBefore.length).toBeGreaterThanOrEqual(1);
  for (const q of quietBefore) expect(q).toBeGreaterThanOrEqual(QUIET - 1); // timers may round down 1 ms
  const after = quietBefore.length;
  await sleep(QUIET * 4);
  expect(quietBefore.length).toBe(after); // quiet stays quiet: nothing keeps firing
  gc.stop();
});

test("a trickle of messages is not worth a collection; the count carries over", async () => {
  const { gc, touch, quietBefore } = recorder();
  touch(50);
  await sleep(QUIET * 3);
  expect(quietBefore).toEqual([]);
  touch(60);
  await sleep(QUIET * 3);
  expect(quietBefore.length).toBe(1);
  gc.stop();
});
