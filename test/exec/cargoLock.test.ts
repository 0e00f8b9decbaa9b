// cargo's lock on local profile dirs, held by rch while it writes there (src/transfer/cargoLock.ts):
// held against flock(1) as cargo holds it, all or none, waited for within a bound, released.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { holdCargoLocks } from "../../src/transfer/cargoLock.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync("/tmp/rchx-lock-");
  dirs.push(d);
  return d;
}

const free = (lock: string) => Bun.spawnSync(["flock", "-n", lock, "true"]).exitCode === 0;

test("held until released: another flock cannot take it meanwhile; missing lock files are made", async () => {
  const d = scratch();
  const locks = [join(d, "a.lock"), join(d, "b.lock")];
  const held = await holdCargoLocks(locks, 5_000);
  expect(held.ok).toBe(true);
  expect(locks.map(free)).toEqual([false, false]);
  if (held.ok) await held.release();
  expect(locks.map(free)).toEqual([true, true]);
});

test("a lock another process holds past the wait: not held, the reason says so, nothing left held", async () => {
  const d = scratch();
  const [a, b] = [join(d, "a.lock"), join(d, "b.lock")];
  // Its own process group: the kill reaches flock's sleep, which holds the lock too.
  const other = Bun.spawn(["flock", b, "sleep", "600"], { stdout: "ignore", detached: true });
  try {
    while (free(b)) await Bun.sleep(20);
    const held = await holdCargoLocks([a, b], 1_000);
    expect(held).toEqual({ ok: false, reason: "a cargo here held a profile dir's .cargo-lock for 1 s" });
    expect(free(a)).toBe(true);
  } finally {
    process.kill(-other.pid, "SIGKILL");
    await other.exited;
  }
});

test("a lock in a dir that is not there: not held, with flock's reason", async () => {
  const held = await holdCargoLocks([join(scratch(), "no", "such", "dir", ".cargo-lock")], 1_000);
  expect(held.ok).toBe(false);
  if (!held.ok)
    expect(held.reason).toMatch(/^cannot take cargo's lock here \(flock: .*No such file or directory\)$/);
});
