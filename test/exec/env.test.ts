// What environment a remote build gets, and what keeps a command local.
import { expect, test } from "bun:test";
import { remoteEnv } from "../../src/exec/env.ts";
import { planFamily } from "../../src/exec/family.ts";
import { argOutsideRoot } from "../../src/exec/outside.ts";
import { remoteProjectDir } from "../../src/exec/remoteDir.ts";

const root = "/home/me/proj";
const base = {
  extraAllow: [] as string[],
  configEnv: {} as Record<string, string>,
  assignments: [] as [string, string][],
  root,
  cwd: `${root}/crates/a`,
  forceColor: false,
};

test("allowlisted variables travel; machine-specific ones do not; argv assignments win", () => {
  const r = remoteEnv({
    ...base,
    local: {
      RUST_BACKTRACE: "1",
      RUSTFLAGS: "-D warnings",
      CARGO_INCREMENTAL: "0",
      CARGO_HOME: "/home/me/.cargo",
      PATH: "/usr/bin",
      HOME: "/home/me",
      SSH_AUTH_SOCK: "/tmp/agent",
      MY_SECRET: "x",
      LC_ALL: "C",
      MAKEFLAGS: "-j8 --jobserver-auth=3,4 -k",
    },
    extraAllow: ["MY_SECRET"],
    configEnv: { RUSTFLAGS: "-C target-cpu=native" },
    assignments: [["RUST_BACKTRACE", "full"]],
  });
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  expect(Object.fromEntries(r.env.plain)).toEqual({
    RUST_BACKTRACE: "full",
    RUSTFLAGS: "-C target-cpu=native",
    CARGO_INCREMENTAL: "0",
    MY_SECRET: "x",
    LC_ALL: "C",
    MAKEFLAGS: "-k",
  });
});

test("paths inside the project are re-rooted remotely; CARGO_TARGET_DIR may be relative to the cwd", () => {
  const r = remoteEnv({
    ...base,
    local: {},
    assignments: [
      ["CARGO_TARGET_DIR", "../../out"],
      ["DATA", `${root}/fixtures`],
      ["OTHER", "/usr/share/x"],
    ],
  });
  if (!r.ok) throw new Error(r.reason);
  expect(r.env.rooted).toEqual([
    ["CARGO_TARGET_DIR", "out"],
    ["DATA", "fixtures"],
  ]);
  expect(r.env.plain).toEqual([["OTHER", "/usr/share/x"]]);
});

test("colours are forced remotely only for a terminal, and never over NO_COLOR", () => {
  const tty = remoteEnv({ ...base, local: {}, forceColor: true });
  if (!tty.ok) throw new Error();
  expect(Object.fromEntries(tty.env.plain)).toMatchObject({
    CARGO_TERM_COLOR: "always",
    CLICOLOR_FORCE: "1",
    FORCE_COLOR: "1",
  });
  const no = remoteEnv({ ...base, local: { NO_COLOR: "1" }, forceColor: true });
  if (!no.ok) throw new Error();
  expect(Object.fromEntries(no.env.plain)).toEqual({ NO_COLOR: "1" });
  const pipe = remoteEnv({ ...base, local: {} });
  if (!pipe.ok) throw new Error();
  expect(pipe.env.plain).toEqual([]);
});

test("PATH or LD_PRELOAD on the command line keeps the build local", () => {
  expect(remoteEnv({ ...base, local: {}, assignments: [["PATH", "/opt/bin"]] })).toEqual({
    ok: false,
    reason: "PATH is set on the command line",
  });
});

test("references outside the project keep it local; system paths do not", () => {
  expect(argOutsideRoot(["build", "--release"], root, root)).toBeUndefined();
  expect(argOutsideRoot(["-I/usr/include/x", "-o", "app", "main.c"], root, root)).toBeUndefined();
  expect(argOutsideRoot(["/home/me/other/x.c"], root, root)).toBe("/home/me/other/x.c");
  expect(argOutsideRoot(["-I../../lib"], root, `${root}/src`)).toBe("-I../../lib");
  expect(argOutsideRoot(["--manifest-path=/tmp/x/Cargo.toml"], root, root)).toBe(
    "--manifest-path=/tmp/x/Cargo.toml",
  );
});

test("make variables are read as flag lists; a second = ends the path (--remap-path-prefix)", () => {
  expect(argOutsideRoot(["CFLAGS=-O2 -I/home/me/other/include"], root, root)).toBe(
    "-I/home/me/other/include (in CFLAGS=-O2 -I/home/me/other/include)",
  );
  expect(argOutsideRoot(["RUNLOG=/home/me/log"], root, root)).toBe("RUNLOG=/home/me/log");
  expect(argOutsideRoot([`CFLAGS=-O2 -I${root}/include -I/usr/include`], root, root)).toBeUndefined();
  expect(argOutsideRoot([`--remap-path-prefix=${root}=/src`], root, root)).toBeUndefined();
  // An ordinary argument with spaces is one word, not a flag list (a test name, a message).
  expect(argOutsideRoot(["it handles /x paths"], root, root)).toBeUndefined();
});

test("an environment value naming files outside the project keeps the build local", () => {
  const outside = (local: Record<string, string>, assignments: [string, string][] = []) =>
    remoteEnv({ ...base, local, assignments });
  expect(outside({ CFLAGS: "-O2 -I/home/me/lib/include" })).toEqual({
    ok: false,
    reason: `CFLAGS names -I/home/me/lib/include, outside the project ${root}`,
  });
  expect(outside({}, [["FX_LOG", "/home/me/log.txt"]])).toMatchObject({ ok: false });
  // cargo's encoded flags are separated by 0x1f
  expect(outside({ CARGO_ENCODED_RUSTFLAGS: "-C\x1flinker=/home/me/bin/cc" })).toMatchObject({
    ok: false,
  });
  expect(outside({ CFLAGS: "-O2 -I/usr/local/include", RUSTFLAGS: `-L ${root}/lib` }).ok).toBe(true);
  // Overridden by the command line: the local value does not travel, so it does not count.
  expect(outside({ CFLAGS: "-I/home/me/lib" }, [["CFLAGS", "-O2"]]).ok).toBe(true);
  // config [environment] is written for the workers: its paths are theirs.
  const cfg = remoteEnv({ ...base, local: {}, configEnv: { PKG_CONFIG_PATH: "/home/builder/pc" } });
  expect(cfg.ok).toBe(true);
});

test("families: kinds, output dirs, target dirs outside the project", () => {
  const ctx = { root, cwd: root, env: {} };
  expect(planFamily(["cargo", "+nightly", "--locked", "t", "-p", "x"], ctx)).toMatchObject({
    kind: "cargo test",
    outputDirs: [`${root}/target`],
    // What cargo writes beside its target dir (Cargo.lock) comes back; builds still share the copy.
    trackInTree: true,
    sharesCopy: true,
  });
  expect(planFamily(["/usr/bin/make", "-j4"], ctx).sharesCopy).toBe(false);
  // Cross builds: executables under target/<triple>/ are meant for another machine.
  expect(
    planFamily(["cargo", "build", "--target", "aarch64-unknown-linux-gnu", "--target=x.json"], ctx).crossDirs,
  ).toEqual([`${root}/target/aarch64-unknown-linux-gnu`, `${root}/target/x`]);
  expect(
    planFamily(["cargo", "build"], { ...ctx, env: { CARGO_BUILD_TARGET: "riscv64gc-unknown-linux-gnu" } })
      .crossDirs,
  ).toEqual([`${root}/target/riscv64gc-unknown-linux-gnu`]);
  expect(planFamily(["cargo", "build"], ctx).crossDirs).toBeUndefined();
  expect(planFamily(["cargo", "build", "--target-dir", "/tmp/t"], ctx).localReason).toContain(
    "outside the project",
  );
  expect(planFamily(["cargo", "build"], { ...ctx, env: { CARGO_TARGET_DIR: "tgt" } }).outputDirs).toEqual([
    `${root}/tgt`,
  ]);
  expect(planFamily(["/usr/bin/make", "-j4"], ctx)).toMatchObject({ family: "make", trackInTree: true });
  expect(planFamily(["gcc", "-c", "a.c"], ctx).kind).toBe("cc");
  expect(planFamily(["bun", "test"], ctx)).toMatchObject({ kind: "bun test", bunDir: root });
});

test("remote dirs: one per local path and installation, under the remote home unless absolute", () => {
  const me = "0123456789abcdef";
  const a = remoteProjectDir("~/.cache/rch/projects", "/home/me/proj", me);
  const b = remoteProjectDir("~/.cache/rch/projects", "/home/you/proj", me);
  const other = remoteProjectDir("~/.cache/rch/projects", "/home/me/proj", "fedcba9876543210");
  expect(a).toMatch(/^\.cache\/rch\/projects\/proj-[0-9a-f]{12}$/);
  expect(a).not.toBe(b);
  expect(a).not.toBe(other); // same path on another workstation: another copy
  expect(remoteProjectDir("/srv/rch/", "/x/my proj;$(x)", me)).toMatch(
    /^\/srv\/rch\/my_proj___x_-[0-9a-f]{12}$/,
  );
});
