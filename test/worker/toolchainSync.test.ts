// toolchain-sync.sh, the worker's end of `rch toolchain sync`, run directly under dash and bash (no
// ssh): the facts it reports, names that could leave the toolchains dir refused, the verify step
// running the copy's own binaries (placed first, else partial), and place refusing to replace.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { TOOLCHAIN_SYNC_PROGRAM } from "../../src/worker/programs.ts";
import { run } from "../exec-scenarios/proc.ts";
import { SHELLS, type Shell } from "./harness.ts";

const NAME = "rust-1.95.0-59807616e-x86_64-unknown-linux-gnu";
let home: string;
beforeEach(() => {
  home = realpathSync(mkdtempSync("/tmp/rchtc-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const tc = (shell: Shell, root: string, name: string, step: string) =>
  run([shell, "-c", TOOLCHAIN_SYNC_PROGRAM, "rch", root, name, step], {
    cwd: home,
    env: { HOME: home, PATH: "/usr/bin:/bin", LANG: "C", RUSTUP_TOOLCHAIN: "stable" },
    timeoutMs: 20_000,
  });

/** A stand-in toolchain whose rustc and cargo print what they were run with. */
function fakeToolchain(dir: string, says: string): void {
  mkdirSync(join(dir, "bin"), { recursive: true });
  for (const tool of ["rustc", "cargo"]) {
    const f = join(dir, "bin", tool);
    writeFileSync(f, `#!/bin/sh\necho "${tool} ${says} RUSTUP_TOOLCHAIN=\${RUSTUP_TOOLCHAIN-unset}"\n`);
    chmodSync(f, 0o755);
  }
}

describe.each(SHELLS)("under %s", (shell) => {
  test("facts: OS, libc, whether the toolchain is in place, and the dir (created)", async () => {
    const r = await tc(shell, "projects", NAME, "facts");
    expect(r.code).toBe(0);
    const dir = join(home, "projects", ".rch", "toolchains");
    expect(r.stdout).toBe(`os\tLinux x86_64\nlibc\tglibc 2.36\nhave\tno\ndir\t${dir}\n`);
    fakeToolchain(join(dir, NAME), "placed");
    expect((await tc(shell, "projects", NAME, "facts")).stdout).toContain("have\tyes\n");
  });

  test("names that are not a toolchain's, or would leave the dir, are refused", async () => {
    for (const bad of ["stable", "rust-../../x", ".rust-x", "rust-a/b", ""]) {
      const r = await tc(shell, "projects", bad, "facts");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("not a toolchain name");
    }
    expect(existsSync(join(home, "projects"))).toBe(false);
  });

  test("verify runs the placed copy, else the partial one, without the caller's RUSTUP_TOOLCHAIN", async () => {
    const dir = join(home, ".rch", "toolchains");
    fakeToolchain(join(dir, `.${NAME}.partial`), "partial");
    expect((await tc(shell, "", NAME, "verify")).stdout).toBe(
      "rustc partial RUSTUP_TOOLCHAIN=unset\ncargo partial RUSTUP_TOOLCHAIN=unset\n",
    );
    fakeToolchain(join(dir, NAME), "placed");
    expect((await tc(shell, "", NAME, "verify")).stdout).toContain("rustc placed");
  });

  test("place renames the partial copy, and never replaces one in place", async () => {
    const dir = join(home, ".rch", "toolchains");
    fakeToolchain(join(dir, `.${NAME}.partial`), "partial");
    expect((await tc(shell, home, NAME, "place")).code).toBe(0);
    expect(readdirSync(dir)).toEqual([NAME]);
    fakeToolchain(join(dir, `.${NAME}.partial`), "again");
    const again = await tc(shell, home, NAME, "place");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already in place");
    expect((await tc(shell, home, NAME, "verify")).stdout).toContain("rustc partial");
  });
});
