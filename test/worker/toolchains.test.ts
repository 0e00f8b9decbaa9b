// src/worker/toolchains.sh and the heartbeat's fingerprint, run as rch sends them (no ssh), under
// dash and bash, against real toolchains: a rustup home whose toolchains link to the machine's
// stable and nightly, a synced toolchain under <root>/.rch/toolchains, and a PATH rustc.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseHeartbeat } from "../../src/daemon/heartbeat.ts";
import { parseToolchains } from "../../src/ssh/toolchains.ts";
import { hostTriple } from "../../src/toolchain/rustup.ts";
import { HEARTBEAT_PROGRAM, TOOLCHAINS_PROGRAM } from "../../src/worker/programs.ts";
import { SHELLS } from "./harness.ts";

const REAL = join(process.env.RUSTUP_HOME ?? join(homedir(), ".rustup"), "toolchains");
const host = hostTriple();
const STABLE = `rustc 1.95.0 59807616e1fa2540724bfbac14d7976d7e4a3860 ${host}`;
const NIGHTLY = `rustc 1.97.0-nightly e50aa6fba4e63ab34c72bf9acfd2c307c1155d1a ${host}`;
let home: string;

async function sh(shell: string, program: string, args: string[], path: string): Promise<string> {
  const p = Bun.spawn([shell, "-c", program, "rch", ...args], {
    env: { HOME: home, PATH: path },
    stdout: "pipe",
    stderr: "ignore",
  });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  return out;
}

beforeAll(() => {
  home = realpathSync(mkdtempSync("/tmp/rchwk-tc-"));
  mkdirSync(join(home, ".rustup", "toolchains"), { recursive: true });
  symlinkSync(join(REAL, `nightly-${host}`), join(home, ".rustup", "toolchains", `nightly-${host}`));
  mkdirSync(join(home, "root", ".rch", "toolchains"), { recursive: true });
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const PATH = `${join(REAL, `stable-${host}`, "bin")}:/usr/bin:/bin`;

describe.each(SHELLS)("toolchains.sh under %s", (shell) => {
  test("rust half: platform, libc, and every Rust toolchain by its own rustc -vV", async () => {
    const t = parseToolchains(await sh(shell, TOOLCHAINS_PROGRAM, ["root", "rust"], PATH));
    expect(t.platform).toMatch(/^Linux /);
    expect(t.libc).toMatch(/^glibc \d/);
    expect(t.path).toBe(PATH);
    expect(t.rust.map((r) => [r.kind, r.name, r.key])).toEqual([
      ["rustup", `nightly-${host}`, NIGHTLY],
      ["path", "rustc", STABLE],
    ]);
    expect(t.tools).toEqual([]);
  }, 30_000);

  test("tools half: the compilers with -dumpmachine, build tools by --version", async () => {
    const t = parseToolchains(await sh(shell, TOOLCHAINS_PROGRAM, ["root", "tools"], PATH));
    const gcc = t.tools.find((x) => x.name === "gcc");
    expect(gcc?.path).toBe("/usr/bin/gcc");
    expect(gcc?.key).toMatch(/^gcc .*\|x86_64-linux-gnu$/);
    expect(t.tools.find((x) => x.name === "cmake")?.key).toMatch(/^cmake version /);
    expect(t.rust).toEqual([]);
  }, 60_000);

  test("a toolchain synced under <root>/.rch/toolchains is listed, and moves the heartbeat's fingerprint", async () => {
    const fp = async () => parseHeartbeat(await sh(shell, HEARTBEAT_PROGRAM, ["root"], PATH)).toolchains;
    const before = await fp();
    expect(before).toMatch(/^\d+-\d+$/);
    expect(await fp()).toBe(before); // stable while nothing changes
    const name = `rust-1.95.0-59807616e-${host}-${shell}`;
    const dir = join(home, "root", ".rch", "toolchains", name);
    symlinkSync(join(REAL, `stable-${host}`), dir);
    try {
      expect(await fp()).not.toBe(before);
      const t = parseToolchains(await sh(shell, TOOLCHAINS_PROGRAM, ["root", "rust"], PATH));
      expect(t.rust.find((r) => r.kind === "rch")).toEqual({
        kind: "rch",
        name,
        dir,
        key: STABLE,
        version: "1.95.0 (59807616e 2026-04-14)",
      });
    } finally {
      rmSync(dir);
    }
  }, 60_000);
});
