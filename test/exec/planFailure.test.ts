// A planning step that throws (here: the state dir cannot be created, as in a read-only sandbox
// on a machine where rch never ran) must not cost the agent its build: it runs here, with its
// exit code, and one line says why.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRchBuilt } from "../support/rch-binary.ts";

let rch: string;
let dir: string;
beforeAll(async () => {
  rch = await ensureRchBuilt();
  dir = mkdtempSync(join(tmpdir(), "rch-plan-failure-"));
  mkdirSync(join(dir, "cfg"));
  mkdirSync(join(dir, "project"));
  writeFileSync(join(dir, "not-a-dir"), "");
  writeFileSync(
    join(dir, "cfg", "workers.toml"),
    '[[workers]]\nid = "w1"\nhost = "127.0.0.1"\nuser = "nobody"\n',
  );
  writeFileSync(join(dir, "project", "Makefile"), "hello:\n\t@echo hello-from-make\nfail:\n\t@exit 3\n");
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function exec(target: string) {
  const proc = Bun.spawn([rch, "exec", "--", "make", target], {
    cwd: join(dir, "project"),
    env: {
      PATH: "/usr/bin:/bin",
      HOME: dir,
      RCH_CONFIG_DIR: join(dir, "cfg"),
      RCH_STATE_DIR: join(dir, "not-a-dir", "state"),
      RCH_CACHE_DIR: join(dir, "cache"),
      RCH_MIN_LOCAL_TIME_MS: "0",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

test("an unusable state dir: the build runs locally, exit code kept, one line", async () => {
  const ok = await exec("hello");
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.stdout).toBe("hello-from-make\n");
  expect(ok.stderr).toMatch(/^rch: running locally: cannot plan the remote build: .*not-a-dir/);
  expect(ok.stderr.trim().split("\n")).toHaveLength(1);
  expect((await exec("fail")).code).toBe(2);
});
