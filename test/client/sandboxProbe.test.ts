// Outside a sandbox the probe must never claim one: a missing socket, a live one and a path too
// long for sockaddr_un all answer "not forbidden". (Inside Codex's sandbox it answers "forbidden":
// test/e2e/codex/sandbox.test.ts.)
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probe } from "../../src/client/sandboxProbe.ts";

const dir = mkdtempSync(join(tmpdir(), "rch-sandbox-probe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("no socket file, a live listener, an over-long path: not forbidden", async () => {
  expect(await probe(join(dir, "absent.sock"))).toBe(false);
  const path = join(dir, "live.sock");
  const server = Bun.listen({ unix: path, socket: { data() {} } });
  try {
    expect(await probe(path)).toBe(false);
  } finally {
    server.stop(true);
  }
  expect(await probe(`/${"x".repeat(200)}`)).toBe(false);
});
