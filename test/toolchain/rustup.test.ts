// rustup's choice of toolchain, computed from files (src/toolchain/rustup.ts), against rustup's
// own: each case runs the real rustup proxy (`cargo envtest`, a cargo subcommand script that
// prints the RUSTUP_TOOLCHAIN rustup exports to it) in a throwaway RUSTUP_HOME whose toolchains
// link to the machine's real stable and nightly, with real override databases and toolchain files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { hostTriple, rustupToolchain } from "../../src/toolchain/rustup.ts";

const REAL_HOME = process.env.RUSTUP_HOME ?? join(homedir(), ".rustup");
const CARGO_BIN = join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin");
const host = hostTriple();
let tmp: string;
let rustupHome: string;
let proj: string;
let scriptDir: string;

function settings(overrides: Record<string, string> = {}): void {
  const lines = ['version = "12"', `default_toolchain = "stable-${host}"`, "", "[overrides]"];
  for (const [dir, name] of Object.entries(overrides))
    lines.push(`${JSON.stringify(dir)} = ${JSON.stringify(name)}`);
  writeFileSync(join(rustupHome, "settings.toml"), `${lines.join("\n")}\n`);
}

/** What rustup itself exports as RUSTUP_TOOLCHAIN to a cargo subcommand run in `cwd`. */
async function rustupSays(cwd: string, env: Record<string, string>, plus?: string): Promise<string> {
  const argv = [join(CARGO_BIN, "cargo"), ...(plus ? [plus] : []), "envtest"];
  const p = Bun.spawn(argv, {
    cwd,
    env: {
      PATH: `${scriptDir}:${CARGO_BIN}:/usr/bin:/bin`,
      RUSTUP_HOME: rustupHome,
      RUSTUP_AUTO_INSTALL: "0",
      HOME: tmp,
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(p.stdout).text();
  const err = await new Response(p.stderr).text();
  const code = await p.exited;
  return code === 0 ? out.trim() : `error: ${err.split("\n")[0]}`;
}

function oursFor(cwd: string, env: Record<string, string>, plus?: string): string {
  const c = rustupToolchain({ cwd, env, argv: ["cargo", ...(plus ? [plus] : []), "envtest"], rustupHome });
  return c.ok ? c.name : `not ours: ${c.reason}`;
}

beforeAll(() => {
  tmp = mkdtempSync("/tmp/rch-rustup-");
  rustupHome = join(tmp, "rustup");
  mkdirSync(join(rustupHome, "toolchains"), { recursive: true });
  for (const ch of ["stable", "nightly"]) {
    const real = join(REAL_HOME, "toolchains", `${ch}-${host}`);
    if (!existsSync(real)) throw new Error(`this test needs the machine's ${ch} toolchain at ${real}`);
    symlinkSync(real, join(rustupHome, "toolchains", `${ch}-${host}`));
  }
  scriptDir = join(tmp, "bin");
  mkdirSync(scriptDir);
  writeFileSync(join(scriptDir, "cargo-envtest"), '#!/bin/sh\necho "$RUSTUP_TOOLCHAIN"\n');
  chmodSync(join(scriptDir, "cargo-envtest"), 0o755);
  proj = join(tmp, "a", "b", "c");
  mkdirSync(proj, { recursive: true });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = (entries: Record<string, string>) => {
  for (const f of ["a", "a/b", "a/b/c"]) {
    for (const n of ["rust-toolchain", "rust-toolchain.toml"]) rmSync(join(tmp, f, n), { force: true });
  }
  for (const [rel, body] of Object.entries(entries)) writeFileSync(join(tmp, rel), body);
};

interface Case {
  name: string;
  files?: Record<string, string>;
  overrides?: Record<string, string>;
  env?: Record<string, string>;
  plus?: string;
  want: string;
}

const TOML_NIGHTLY = '[toolchain]\nchannel = "nightly"\n';
const TOML_STABLE = '[toolchain]\nchannel = "stable"\n';

const CASES: Case[] = [
  { name: "the default", want: "stable" },
  { name: "+nightly", plus: "+nightly", want: "nightly" },
  { name: "RUSTUP_TOOLCHAIN", env: { RUSTUP_TOOLCHAIN: "nightly" }, want: "nightly" },
  {
    name: "+stable beats RUSTUP_TOOLCHAIN",
    env: { RUSTUP_TOOLCHAIN: "nightly" },
    plus: "+stable",
    want: "stable",
  },
  {
    name: "rust-toolchain.toml in the cwd",
    files: { "a/b/c/rust-toolchain.toml": TOML_NIGHTLY },
    want: "nightly",
  },
  {
    name: "rust-toolchain.toml two dirs up",
    files: { "a/rust-toolchain.toml": TOML_NIGHTLY },
    want: "nightly",
  },
  {
    name: "legacy rust-toolchain, one bare name",
    files: { "a/b/rust-toolchain": "nightly\n" },
    want: "nightly",
  },
  {
    name: "RUSTUP_TOOLCHAIN beats a toolchain file",
    files: { "a/b/c/rust-toolchain.toml": TOML_NIGHTLY },
    env: { RUSTUP_TOOLCHAIN: "stable" },
    want: "stable",
  },
  { name: "a directory override", overrides: { "a/b": "nightly" }, want: "nightly" },
  {
    name: "a closer override beats a farther toolchain file",
    files: { "a/rust-toolchain.toml": TOML_STABLE },
    overrides: { "a/b": "nightly" },
    want: "nightly",
  },
  {
    name: "a closer toolchain file beats a farther override",
    files: { "a/b/rust-toolchain.toml": TOML_STABLE },
    overrides: { a: "nightly" },
    want: "stable",
  },
  {
    name: "an override and a toolchain file in the same dir: the override",
    files: { "a/b/rust-toolchain.toml": TOML_STABLE },
    overrides: { "a/b": "nightly" },
    want: "nightly",
  },
  {
    name: "both toolchain files in one dir",
    files: { "a/b/rust-toolchain": "nightly\n", "a/b/rust-toolchain.toml": TOML_STABLE },
    want: "nightly",
  },
];

describe("rustup's choice, from files, agrees with rustup", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      files(c.files ?? {});
      settings(Object.fromEntries(Object.entries(c.overrides ?? {}).map(([d, n]) => [join(tmp, d), n])));
      const env = c.env ?? {};
      const theirs = await rustupSays(proj, env, c.plus);
      expect(theirs).toBe(`${c.want}-${host}`);
      expect(oursFor(proj, env, c.plus)).toBe(theirs);
    }, 30_000);
  }

  test("a toolchain that is not installed: rustup refuses, and we say so", async () => {
    files({ "a/b/c/rust-toolchain.toml": '[toolchain]\nchannel = "1.80.0"\n' });
    settings();
    expect(await rustupSays(proj, {})).toMatch(/^error: .*not installed/);
    const c = rustupToolchain({ cwd: proj, env: {}, argv: ["cargo", "build"], rustupHome });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toContain("toolchain '1.80.0' (from");
  }, 30_000);
});
