// rsync's quick check by default compares mtimes in whole seconds: a file written twice within one
// second at the same size is "up to date" and skipped. With a real rsync between two local dirs:
// every transfer rch makes carries EXACT_TIMES, and that flag is what makes the second write
// arrive (content and nanosecond mtime), while the default skips it.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { defaultConfig, workerSchema } from "../../src/config/schema.ts";
import { sshTarget } from "../../src/ssh/options.ts";
import {
  EXACT_TIMES,
  pullDirArgv,
  pullListArgv,
  pushArgv,
  type RsyncCommon,
  seedArgv,
} from "../../src/transfer/rsync.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** src/f holds `now` written at second S + 0.7, dst/f holds `old` (same size) at S + 0.2. */
function sameSecondPair(): { src: string; dst: string; srcMtimeNs: bigint } {
  dir = mkdtempSync(join(tmpdir(), "rch-rsync-times-"));
  const src = join(dir, "src");
  const dst = join(dir, "dst");
  mkdirSync(src);
  mkdirSync(dst);
  writeFileSync(join(src, "f"), "now");
  writeFileSync(join(dst, "f"), "old");
  const s = Math.floor(Date.now() / 1000) - 100;
  utimesSync(join(dst, "f"), s + 0.2, s + 0.2);
  utimesSync(join(src, "f"), s + 0.7, s + 0.7);
  return { src, dst, srcMtimeNs: statSync(join(src, "f"), { bigint: true }).mtimeNs };
}

function rsync(extra: string[], src: string, dst: string): void {
  const r = Bun.spawnSync(["rsync", "-a", ...extra, `${src}/`, `${dst}/`], { timeout: 30_000 });
  expect(r.exitCode).toBe(0);
}

test("without it, a same-size rewrite within one second is skipped (the fault)", () => {
  const { src, dst } = sameSecondPair();
  rsync([], src, dst);
  expect(readFileSync(join(dst, "f"), "utf8")).toBe("old");
});

test("with EXACT_TIMES it arrives, content and nanosecond mtime", () => {
  const { src, dst, srcMtimeNs } = sameSecondPair();
  rsync([EXACT_TIMES], src, dst);
  expect(readFileSync(join(dst, "f"), "utf8")).toBe("now");
  expect(statSync(join(dst, "f"), { bigint: true }).mtimeNs).toBe(srcMtimeNs);
});

test("every rsync rch runs to or from a worker carries it", () => {
  const worker = v.parse(workerSchema, { id: "w1", host: "127.0.0.1" });
  const c: RsyncCommon = {
    target: sshTarget(worker, defaultConfig().ssh),
    compressionLevel: 0,
    timeoutMs: 1000,
  };
  for (const argv of [
    pushArgv(c, "/p", "/r", []),
    pullDirArgv(c, "/r", "target", "/p/target"),
    pullListArgv(c, "/r", "/r.list", "/stage"),
    seedArgv(c, "/p/target/debug", "/r", "/r/target/debug", 5, []),
  ])
    expect(argv).toContain(EXACT_TIMES);
});
