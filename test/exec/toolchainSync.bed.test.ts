// `rch toolchain sync` against a real worker that has no Rust at all: the first sync copies this
// machine's toolchain (without its docs) into <remote_root>/.rch/toolchains/<name>, and the copy
// runs there as the same compiler; a second sync sends next to nothing; a named toolchain
// (--toolchain nightly) gets its own name; an unknown worker or toolchain is a clear error.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { localRust } from "../../src/transfer/localRust.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { run } from "../bed/proc.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureBinary, type RchEnv, rchEnv } from "./bedEnv.ts";

// A first copy is ~600 MB through rsync (about 20 s here when the machine is quiet).
setDefaultTimeout(300_000);

let fleet: Fleet;
let env: RchEnv;
let rch: string;
let cwd: string;

beforeAll(async () => {
  [fleet, rch] = await Promise.all([startFleet({ workers: [{ toolchains: false }] }), ensureBinary()]);
  env = rchEnv(fleet);
  cwd = mkdtempSync(join(env.dir, "proj-"));
}, 180_000);
afterAll(() =>
  cleanUp(
    () => env?.cleanup(),
    () => fleet?.stop(),
  ),
);

const sync = (...args: string[]) =>
  run([rch, "--format", "json", "toolchain", "sync", ...args], { cwd, env: env.env, timeoutMs: 600_000 });

/** The toolchains dir on the worker, as its own user sees it (the worker's remote_root is absolute). */
const toolchainsDir = () => join(fleet.worker("w1").remoteRoot, ".rch", "toolchains");

/** Runs a command as the worker's user, in a clean environment (no rustup, no PATH to rust). */
const asWorker = (argv: string[]) =>
  run(
    [
      "setpriv",
      `--reuid=${fleet.worker("w1").uid}`,
      `--regid=${fleet.worker("w1").uid}`,
      "--clear-groups",
      ...argv,
    ],
    {
      env: { PATH: "/usr/bin:/bin", HOME: fleet.worker("w1").home },
      timeoutMs: 30_000,
    },
  );

test("the first sync places the local toolchain; it runs on the worker as the same compiler", async () => {
  const local = await localRust(cwd);
  const r = await sync("w1");
  expect(r.stderr).not.toContain("error");
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.toolchain).toBe(local.name);
  expect(out.results).toEqual([expect.objectContaining({ ok: true, worker: "w1", action: "placed" })]);
  expect(out.results[0].sentBytes).toBeGreaterThan(50 * 1024 * 1024);
  expect(readdirSync(toolchainsDir())).toEqual([local.name]); // no partial dir left
  expect(existsSync(join(toolchainsDir(), local.name, "share", "doc"))).toBe(false);
  const ran = await asWorker([join(toolchainsDir(), local.name, "bin", "rustc"), "-vV"]);
  expect(ran.stdout).toBe(local.verbose);
});

test("a second sync of the same toolchain sends next to nothing and changes nothing", async () => {
  const r = await sync("w1");
  expect(r.code).toBe(0);
  const res = JSON.parse(r.stdout).results[0];
  expect(res).toEqual(expect.objectContaining({ ok: true, action: "updated" }));
  expect(res.sentBytes).toBeLessThan(2 * 1024 * 1024);
});

test("--toolchain nightly copies the nightly under its own name, beside the first", async () => {
  const nightly = await localRust(cwd, "nightly");
  const r = await sync("--all", "--toolchain", "nightly");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).toolchain).toBe(nightly.name);
  expect(nightly.name).toMatch(/^rust-1\.\d+\.\d+-nightly-[0-9a-f]{9}-x86_64-unknown-linux-gnu$/);
  expect(readdirSync(toolchainsDir()).sort()).toEqual([(await localRust(cwd)).name, nightly.name].sort());
});

test("an unknown worker or an uninstalled toolchain is an error naming it, and nothing is sent", async () => {
  const before = readdirSync(toolchainsDir()).sort();
  const noWorker = await run([rch, "toolchain", "sync", "w9"], { cwd, env: env.env, timeoutMs: 60_000 });
  expect(noWorker.code).toBe(1);
  expect(noWorker.stderr).toContain("no worker 'w9'");
  const noTc = await run([rch, "toolchain", "sync", "w1", "--toolchain", "1.2.3"], {
    cwd,
    env: env.env,
    timeoutMs: 60_000,
  });
  expect(noTc.code).toBe(1);
  expect(noTc.stderr).toContain("cannot tell this machine's Rust toolchain");
  expect(noTc.stderr).toContain("1.2.3");
  expect(readdirSync(toolchainsDir()).sort()).toEqual(before);
});
