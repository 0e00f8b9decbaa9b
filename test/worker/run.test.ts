// The worker program (src/worker/run.sh) on its own, under dash and under bash: the sync header
// and stamp check, inline updates, the environment and argv it rebuilds at the copy, its reserved
// exit codes, the two stderr markers, the in-tree file list, and the watchdog.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type SyncHeader, syncHeader } from "../../src/exec/script.ts";
import { makeTar } from "../../src/transfer/tarball.ts";
import { exitCodeOf } from "../../src/worker/exits.ts";
import {
  argsFor,
  groupMembers,
  Home,
  LOCAL_ROOT,
  NONCE,
  runProgram,
  SHELLS,
  startProgram,
} from "./harness.ts";

setDefaultTimeout(60_000);

let home: Home;
afterEach(() => home?.dispose());

const header = (h: Partial<SyncHeader> = {}) =>
  syncHeader({ check: "", stamp: "", remove: [], tarBytes: 0, ...h });

/** Everything next to the copy that this run left (its marks, its list). */
const besideCopy = () => readdirSync(join(home.dir, "projects")).filter((n) => n !== "p");

describe.each(SHELLS)("run.sh under %s", (shell) => {
  test("an abort header, or no header at all: needs-sync, before touching the copy", async () => {
    home = new Home();
    writeFileSync(join(home.copy, "f"), "kept\n");
    const args = argsFor(home, { argv: ["touch", "ran"] });
    const aborted = await runProgram(shell, home, args, [syncHeader("abort")]);
    expect(aborted.code).toBe(exitCodeOf("needs-sync"));
    expect(aborted.start).toBeUndefined();
    const eof = startProgram(shell, home, args);
    eof.closeStdin();
    expect((await eof.done).code).toBe(exitCodeOf("needs-sync"));
    expect(readdirSync(home.copy)).toEqual(["f"]);
    expect(besideCopy()).toEqual([]);
  });

  test("the stamp check: the copy must hold the sync id rch expects", async () => {
    home = new Home();
    const args = argsFor(home, { argv: ["touch", "ran"] });
    const stampFile = home.beside(".rch-sync");
    const other = await runProgram(shell, home, args, [header({ check: "s2" })]);
    expect(other.code).toBe(exitCodeOf("needs-sync")); // no stamp at all
    writeFileSync(stampFile, "s1\n");
    const stale = await runProgram(shell, home, args, [header({ check: "s2" })]);
    expect(stale.code).toBe(exitCodeOf("needs-sync"));
    expect(stale.start).toBeUndefined();
    expect(existsSync(join(home.copy, "ran"))).toBe(false);
    const current = await runProgram(shell, home, args, [header({ check: "s1" })]);
    expect(current.code).toBe(0);
    expect(current.start).toBeDefined();
    expect(existsSync(join(home.copy, "ran"))).toBe(true);
    expect(readFileSync(stampFile, "utf8")).toBe("s1\n");
  });

  test("an inline update: the removals, then the tar, then the new stamp", async () => {
    home = new Home();
    const local = mkdtempSync("/tmp/rchwk-local-");
    try {
      mkdirSync(join(home.copy, "gone", "deep"), { recursive: true });
      writeFileSync(join(home.copy, "gone", "deep", "x"), "old\n");
      writeFileSync(join(home.copy, "gone.txt"), "old\n");
      writeFileSync(join(home.copy, "changed.txt"), "old\n");
      writeFileSync(home.beside(".rch-sync"), "s1\n");
      mkdirSync(join(local, "new"));
      writeFileSync(join(local, "changed.txt"), "new content\n");
      writeFileSync(join(local, "new", "sub.txt"), "added\n");
      const tar = await makeTar(local, ["changed.txt", "new", "new/sub.txt"]);
      if (!tar.ok) throw new Error(tar.reason);
      const args = argsFor(home, { argv: ["cat", "changed.txt", "new/sub.txt"] });
      const r = await runProgram(shell, home, args, [
        header({ check: "s1", stamp: "s2", remove: ["gone", "gone.txt"], tarBytes: tar.data.length }),
        tar.data,
      ]);
      expect(r).toMatchObject({ code: 0, stdout: "new content\nadded\n", stderr: "" });
      expect(readdirSync(home.copy).sort()).toEqual(["changed.txt", "new"]);
      expect(readFileSync(home.beside(".rch-sync"), "utf8")).toBe("s2\n");
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });

  test("an inline update that cannot be applied: inline-sync-failed, and the copy has no stamp", async () => {
    home = new Home();
    writeFileSync(home.beside(".rch-sync"), "s1\n");
    const junk = Buffer.alloc(1024, "x");
    const args = argsFor(home, { argv: ["touch", "ran"] });
    const r = await runProgram(shell, home, args, [
      header({ check: "s1", stamp: "s2", tarBytes: junk.length }),
      junk,
    ]);
    expect(r.code).toBe(exitCodeOf("inline-sync-failed"));
    expect(r.start).toBeUndefined();
    // Half-applied is not synced: the next build's check fails and rch syncs in full.
    expect(existsSync(home.beside(".rch-sync"))).toBe(false);
    expect(existsSync(join(home.copy, "ran"))).toBe(false);
  });

  test("a stamp that cannot be written: setup-failed", async () => {
    home = new Home();
    mkdirSync(home.beside(".rch-sync")); // root may write anywhere, but not into a directory's name
    const r = await runProgram(shell, home, argsFor(home, { argv: ["touch", "ran"] }), [
      header({ stamp: "s2" }),
    ]);
    expect(r.code).toBe(exitCodeOf("setup-failed"));
    expect(r.start).toBeUndefined();
  });

  test("environment and argv: words re-joined at the copy, rooted values, the mapped cwd", async () => {
    home = new Home();
    mkdirSync(join(home.copy, "sub"));
    const script = 'printf "%s|" "$PWD" "$FLAGS" "$ODD" "$OUT" "$@"';
    const r = await runProgram(
      shell,
      home,
      argsFor(home, {
        relCwd: "sub",
        env: {
          plain: [
            ["FLAGS", `-O2 -I${LOCAL_ROOT}/inc -I${LOCAL_ROOT}-other/inc`],
            ["ODD", "a b\nc 'q' $HOME `x`"],
          ],
          rooted: [["OUT", "build/out"]],
        },
        argv: ["sh", "-c", script, "sh", `${LOCAL_ROOT}/file`, `--path=${LOCAL_ROOT}`, "$(no) 'x' *"],
      }),
      [header()],
    );
    const c = home.copy;
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.split("|")).toEqual([
      `${c}/sub`,
      `-O2 -I${c}/inc -I${LOCAL_ROOT}-other/inc`, // another path that starts like the root stays
      "a b\nc 'q' $HOME `x`",
      `${c}/build/out`,
      `${c}/file`,
      `--path=${c}`,
      "$(no) 'x' *",
      "",
    ]);
  });

  test("a tool that is not on the worker's PATH: tool-missing, before the start marker", async () => {
    home = new Home();
    const r = await runProgram(shell, home, argsFor(home, { argv: ["rch-no-such-tool", "x"] }), [header()]);
    expect(r.code).toBe(exitCodeOf("tool-missing"));
    expect(r.start).toBeUndefined();
    expect(besideCopy()).toEqual([]);
  });

  test("bun deps that cannot be installed: install-failed, with the install's output kept", async () => {
    home = new Home();
    writeFileSync(join(home.copy, "package.json"), "{}\n");
    const args = argsFor(home, { bunDir: ".", bunHash: "h1", argv: ["true"] });
    // PATH without bun: the install itself fails, as it would for a broken package.json.
    const r = await runProgram(shell, home, args, [header()]);
    expect(r.code).toBe(exitCodeOf("install-failed"));
    expect(r.start).toBeUndefined();
    expect(readFileSync(home.beside(".rch-bun.log"), "utf8")).toContain("bun");
    expect(existsSync(home.beside(".rch-bun"))).toBe(false);
  });

  test("the markers: process group, both dirs, the build's status, output dirs changed/unchanged/missing", async () => {
    home = new Home();
    // The copy reached through a symlink: the marker gives the path as named and the physical one.
    const real = join(home.dir, "real-p");
    rmSync(home.copy, { recursive: true });
    mkdirSync(join(real, "out", "same"), { recursive: true });
    mkdirSync(join(real, "out", "changed"));
    writeFileSync(join(real, "out", "same", "old.o"), "old\n");
    symlinkSync(real, home.copy);
    const r = await runProgram(
      shell,
      home,
      argsFor(home, {
        outputDirs: ["out/changed", "out/same", "out/missing"],
        argv: ["sh", "-c", "echo built > out/changed/new.o; echo to-stderr >&2; exit 3"],
      }),
      [header()],
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("to-stderr\n");
    expect(r.start).toEqual({ pgid: expect.any(Number), dir: home.copy, physicalDir: realpathSync(real) });
    expect(r.end).toEqual({ exitCode: 3, outputs: "cum", newFiles: false, gone: [], executables: [] });
    expect(besideCopy()).toEqual([]);
  });

  test("the start marker's process group is the run's own", async () => {
    home = new Home();
    const run = startProgram(shell, home, argsFor(home, { argv: ["true"] }));
    run.send(header());
    const r = await run.done;
    expect(r.start?.pgid).toBe(run.pid);
    expect(r.end).toEqual({ exitCode: 0, outputs: "", newFiles: false, gone: [], executables: [] });
  });

  test("in-tree builds: the list names exactly the files the build created or changed", async () => {
    home = new Home();
    for (const d of ["src", ".git", "node_modules", "sub/node_modules"]) {
      mkdirSync(join(home.copy, d), { recursive: true });
    }
    writeFileSync(join(home.copy, "src", "a.c"), "int a;\n");
    writeFileSync(join(home.copy, "src", "keep.c"), "int k;\n");
    const build = [
      "echo o > src/a.o", // created
      "touch src/keep.c", // changed
      "ln -s src/a.o link", // a symlink
      "mkdir -p out/deep && echo r > out/deep/report.txt",
      "echo x > .git/index && echo y > node_modules/m.js && echo z > sub/node_modules/n.js", // never listed
    ].join(" && ");
    const r = await runProgram(shell, home, argsFor(home, { trackInTree: true, argv: ["sh", "-c", build] }), [
      header(),
    ]);
    expect(r.end).toEqual({ exitCode: 0, outputs: "", newFiles: true, gone: [], executables: [] });
    const list = readFileSync(home.beside(`.rch-new-${NONCE}`), "utf8");
    expect(list.endsWith("\0")).toBe(true);
    expect(list.slice(0, -1).split("\0").sort()).toEqual([
      "./link",
      "./out/deep/report.txt",
      "./src/a.o",
      "./src/keep.c",
    ]);
    // The list waits for rch's pull; the marks are gone.
    expect(besideCopy()).toEqual([`p.rch-new-${NONCE}`]);
    expect(lstatSync(join(home.copy, "link")).isSymbolicLink()).toBe(true);
  });

  test("output dirs stay out of the in-tree list: a cargo build lists only what it writes beside them", async () => {
    home = new Home();
    mkdirSync(join(home.copy, "target", "debug"), { recursive: true });
    const build =
      "echo lock > Cargo.lock && echo o > target/debug/app.d && mkdir -p sub/target && echo s > sub/target/x";
    const r = await runProgram(
      shell,
      home,
      argsFor(home, { trackInTree: true, outputDirs: ["target"], argv: ["sh", "-c", build] }),
      [header()],
    );
    expect(r.end).toMatchObject({ exitCode: 0, outputs: "c", newFiles: true, gone: [] });
    const list = readFileSync(home.beside(`.rch-new-${NONCE}`), "utf8")
      .slice(0, -1)
      .split("\0")
      .sort();
    // Only the output dir at the root is pulled whole; a dir of that name elsewhere is in-tree.
    expect(list).toEqual(["./Cargo.lock", "./sub/target/x"]);
  });

  test("gone notes: what the build deleted in output dirs and build dirs, not incremental caches", async () => {
    home = new Home();
    const files = [
      "target/debug/deps/libold.rlib",
      "target/debug/deps/libkept.rlib",
      "target/debug/incremental/s-1/dep-graph.bin",
      "target/debug/.fingerprint/w/output-lib-w",
      "build/stale.o",
      "build/kept.o",
      "src/gone.c",
    ];
    for (const f of files) {
      mkdirSync(join(home.copy, f, ".."), { recursive: true });
      writeFileSync(join(home.copy, f), "x\n");
    }
    const build =
      "rm target/debug/deps/libold.rlib target/debug/.fingerprint/w/output-lib-w build/stale.o src/gone.c && " +
      "rm -r target/debug/incremental/s-1 && echo n > target/debug/deps/libnew.rlib";
    const r = await runProgram(
      shell,
      home,
      argsFor(home, { outputDirs: ["target"], fixDirs: ["build"], argv: ["sh", "-c", build] }),
      [header()],
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.end?.gone.sort()).toEqual([
      "build/stale.o",
      "target/debug/.fingerprint/w/output-lib-w",
      "target/debug/deps/libold.rlib",
    ]);
    // The build dirs were re-rooted at the copy (mapped mode): the mark stays for the next build.
    expect(besideCopy()).toEqual(["p.rch-rerooted"]);
  });

  test("exe notes: the ELF header bytes of each executable written in an output dir", async () => {
    home = new Home();
    mkdirSync(join(home.copy, "target"), { recursive: true });
    // A 64-bit little-endian AArch64 header (e_machine 183 = 0xb7), padded to 20 bytes.
    const elf =
      "printf '\\177ELF\\002\\001\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000\\002\\000\\267\\000'";
    const build = [
      `${elf} > target/arm && chmod +x target/arm`,
      `${elf} > target/notexec`, // not executable: not reported
      "printf '#!/bin/sh\\n' > target/script && chmod +x target/script", // not ELF
      `mkdir -p target/debug/incremental && ${elf} > target/debug/incremental/x && chmod +x target/debug/incremental/x`,
      `${elf} > intree && chmod +x intree`, // in-tree files are judged by rch from the staging dir
    ].join(" && ");
    const r = await runProgram(
      shell,
      home,
      argsFor(home, { trackInTree: true, outputDirs: ["target"], argv: ["sh", "-c", build] }),
      [header()],
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.end?.executables).toEqual([{ path: "target/arm", ident: [2, 1, 183, 0] }]);
  });

  test("in-tree builds that change nothing: no list is left", async () => {
    home = new Home();
    writeFileSync(join(home.copy, "a.c"), "int a;\n");
    const r = await runProgram(shell, home, argsFor(home, { trackInTree: true, argv: ["true"] }), [header()]);
    expect(r.end).toEqual({ exitCode: 0, outputs: "", newFiles: false, gone: [], executables: [] });
    expect(besideCopy()).toEqual([]);
  });

  test("a new-file list whose pull never happened is swept by a later build once an hour old", async () => {
    home = new Home();
    const old = home.beside(".rch-new-0000dead");
    const young = home.beside(".rch-new-0000beef");
    const unrelated = `${home.copy}-other.rch-new-0000dead`; // another copy's: not ours to sweep
    for (const f of [old, young, unrelated]) writeFileSync(f, "./a.o\0");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    utimesSync(unrelated, twoHoursAgo, twoHoursAgo);
    const r = await runProgram(shell, home, argsFor(home, { argv: ["true"] }), [header()]);
    expect(r.code).toBe(0);
    expect(besideCopy().sort()).toEqual(["p-other.rch-new-0000dead", "p.rch-new-0000beef"]);
  });

  test("the watchdog: EOF on stdin kills the build's whole process group", async () => {
    home = new Home();
    const build = "sleep 60 & echo $! > child.pid; echo $$ > build.pid; wait";
    const run = startProgram(shell, home, argsFor(home, { argv: ["sh", "-c", build] }));
    run.send(header());
    const pidFile = (n: string) => join(home.copy, n);
    const running = await run.waitFor(
      () =>
        run.started() &&
        ["child.pid", "build.pid"].every(
          (n) => existsSync(pidFile(n)) && readFileSync(pidFile(n)).length > 0,
        ),
      10_000,
    );
    expect(running).toBe(true);
    const pids = ["build.pid", "child.pid"].map((n) => Number(readFileSync(pidFile(n), "utf8")));
    expect(groupMembers(run.pid).length).toBeGreaterThanOrEqual(4); // shell, watchdog, build, sleep
    run.closeStdin();
    const r = await run.done; // also waits for the group to empty (the watchdog KILLs itself last)
    expect(r.code).toBe(143); // the build died from the watchdog's TERM
    expect(r.end?.exitCode).toBe(143);
    expect(r.stderr).toBe(""); // no "Terminated" from either shell
    for (const pid of pids) expect(existsSync(`/proc/${pid}/cmdline`) && isLive(pid)).toBe(false);
  });
});

function isLive(pid: number): boolean {
  try {
    return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}
