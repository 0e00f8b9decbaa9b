// run.sh's same-path mode, run directly under dash and bash as an unprivileged user (setpriv, as a
// worker's sshd session is): the build runs at the project's own path in a private mount
// namespace, with the copy bound there; every shape of the path's parents; a set-up the kernel
// refuses exits 210 before the start marker (never passing for the build's status).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { withoutUserNamespaces } from "../bed/userns.ts";
import { argsFor, Home, type RunArgs, runProgram, SHELLS, type Shell } from "./harness.ts";

const NOBODY = 65534;
const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];
const HEADER = "H - s1 0 0\n";
/** Each run ends with the watchdog's ~2 s wait on its group; a slow machine may take a while. */
const BUDGET_MS = 60_000;
/** Root-owned scratch dirs the local roots live in (the worker user may not write them). */
const scratch = mkdtempSync("/tmp/rchsp-");
const cleanup: string[] = [scratch];

function nobodyHome(): Home {
  const home = new Home();
  for (const d of [home.dir, join(home.dir, "projects"), home.copy]) chownSync(d, NOBODY, NOBODY);
  writeFileSync(join(home.copy, "hello"), "from the copy\n");
  chownSync(join(home.copy, "hello"), NOBODY, NOBODY);
  return home;
}

function run(shell: Shell, home: Home, a: RunArgs, wrap: readonly string[] = AS_NOBODY) {
  return runProgram(shell, home, argsFor(home, { samePath: true, ...a }), [HEADER], "/usr/bin:/bin", wrap);
}

/** A build that shows where it runs and what it sees. */
const SHOW = ["sh", "-c", 'pwd; cat hello; echo "V=$V R=$R"; id -u'];

beforeAll(() => chmodSync(scratch, 0o755));
afterAll(() => {
  for (const p of cleanup) rmSync(p, { recursive: true, force: true });
});

describe.each(SHELLS)("run.sh same path under %s", (shell) => {
  test(
    "the build runs at the local root as the worker user; words and values name the local root",
    async () => {
      const home = nobodyHome();
      const root = mkdtempSync(join(scratch, "exists-"));
      chmodSync(root, 0o755);
      writeFileSync(join(root, "theirs"), "the worker's own\n");
      try {
        const r = await run(shell, home, {
          localRoot: root,
          env: { plain: [["V", `-I${root}/inc`]], rooted: [["R", "out"]] },
          argv: SHOW,
        });
        expect(r.preamble).toBe("");
        expect(r.start?.samePath).toBe(true);
        expect(r.end?.exitCode).toBe(0);
        expect(r.stdout).toBe(`${root}\nfrom the copy\nV=-I${root}/inc R=${root}/out\n${NOBODY}\n`);
        // Only the namespace saw the copy there.
        expect(readdirSync(root)).toEqual(["theirs"]);
        expect(readFileSync(home.beside(".rch-sync"), "utf8")).toBe("s1\n");
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a parent the worker user cannot search: a tmpfs over it",
    async () => {
      const home = nobodyHome();
      const closed = mkdtempSync(join(scratch, "closed-")); // 0700, root's
      try {
        const root = join(closed, "deep", "proj");
        const r = await run(shell, home, { localRoot: root, argv: SHOW });
        expect(r.stdout).toBe(`${root}\nfrom the copy\nV= R=\n${NOBODY}\n`);
        expect(existsSync(join(closed, "deep"))).toBe(false);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "missing parents under a dir the user cannot write: its entries stay visible and writable",
    async () => {
      const home = nobodyHome();
      const parent = mkdtempSync(join(scratch, "full-"));
      chmodSync(parent, 0o755);
      writeFileSync(join(parent, "file"), "a file\n");
      symlinkSync("file", join(parent, "link"));
      mkdirSync(join(parent, "shared"));
      chmodSync(join(parent, "shared"), 0o777);
      try {
        const root = join(parent, "missing", "proj");
        const r = await run(shell, home, {
          localRoot: root,
          argv: ["sh", "-c", `pwd; cat hello ${parent}/file ${parent}/link; echo new >${parent}/shared/new`],
        });
        expect(r.stdout).toBe(`${root}\nfrom the copy\na file\na file\n`);
        expect(r.end?.exitCode).toBe(0);
        expect(readFileSync(join(parent, "shared", "new"), "utf8")).toBe("new\n");
        expect(readdirSync(parent).sort()).toEqual(["file", "link", "shared"]);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "missing parents under a dir the user can write: made for real, left empty",
    async () => {
      const home = nobodyHome();
      const open = mkdtempSync(join(scratch, "open-"));
      chmodSync(open, 0o1777);
      try {
        const root = join(open, "a", "proj");
        const r = await run(shell, home, { localRoot: root, argv: SHOW });
        expect(r.stdout).toBe(`${root}\nfrom the copy\nV= R=\n${NOBODY}\n`);
        expect(readdirSync(root)).toEqual([]);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "the worker's home and /tmp stay visible and writable from the build",
    async () => {
      const home = nobodyHome();
      const root = join(mkdtempSync(join(scratch, "closed-")), "proj");
      const tmpOut = `/tmp/rchsp-out-${process.pid}-${shell}`;
      cleanup.push(tmpOut);
      try {
        const r = await run(shell, home, {
          localRoot: root,
          argv: [
            "sh",
            "-c",
            `echo t >${tmpOut} && echo h >"$HOME/from-build" && cat "$HOME/projects/p/hello"`,
          ],
        });
        expect(r.end?.exitCode).toBe(0);
        expect(r.stdout).toBe("from the copy\n");
        expect(readFileSync(tmpOut, "utf8")).toBe("t\n");
        expect(readFileSync(join(home.dir, "from-build"), "utf8")).toBe("h\n");
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "only / above the local root: exit 210 before the start marker, with the cause",
    async () => {
      const home = nobodyHome();
      try {
        const r = await run(shell, home, { localRoot: `/rchsp-none-${process.pid}/proj`, argv: SHOW });
        expect(r.code).toBe(210);
        expect(r.start).toBeUndefined();
        expect(r.preamble).toContain("same path: no place for");
        // The copy is current (stamped): rch runs it mapped without another sync.
        expect(readFileSync(home.beside(".rch-sync"), "utf8")).toBe("s1\n");
        expect(readdirSync(join(home.dir, "projects")).filter((f) => f.includes("rch-mark"))).toEqual([]);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a worker whose kernel refuses user namespaces: exit 210 naming the kernel's answer",
    async () => {
      const home = nobodyHome();
      const root = join(mkdtempSync(join(scratch, "closed-")), "proj");
      try {
        const r = await run(shell, home, { localRoot: root, argv: SHOW }, [
          ...AS_NOBODY,
          ...withoutUserNamespaces([]),
        ]);
        expect(r.code).toBe(210);
        expect(r.start).toBeUndefined();
        expect(r.preamble).toContain("No space left on device");
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a build that itself exits 210 is the build's status, after the start marker",
    async () => {
      const home = nobodyHome();
      const root = join(mkdtempSync(join(scratch, "closed-")), "proj");
      try {
        const r = await run(shell, home, { localRoot: root, argv: ["sh", "-c", "exit 210"] });
        expect(r.start?.samePath).toBe(true);
        expect(r.end?.exitCode).toBe(210);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a tool named by its path under the local root is found in the copy",
    async () => {
      const home = nobodyHome();
      const root = join(mkdtempSync(join(scratch, "closed-")), "proj");
      writeFileSync(join(home.copy, "tool.sh"), '#!/bin/sh\necho tool in "$(pwd)"\n', { mode: 0o755 });
      chownSync(join(home.copy, "tool.sh"), NOBODY, NOBODY);
      try {
        const r = await run(shell, home, { localRoot: root, argv: [`${root}/tool.sh`] });
        expect(r.stdout).toBe(`tool in ${root}\n`);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "build dirs: not re-rooted in same-path mode; a copy a mapped build re-rooted is put back",
    async () => {
      const home = nobodyHome();
      const root = join(mkdtempSync(join(scratch, "closed-")), "proj");
      const build = join(home.copy, "build");
      mkdirSync(build);
      chownSync(build, NOBODY, NOBODY);
      const cache = join(build, "CMakeCache.txt");
      const write = (text: string) => {
        writeFileSync(cache, text);
        chownSync(cache, NOBODY, NOBODY);
      };
      try {
        write(`CMAKE_HOME_DIRECTORY=${root}\n`);
        await run(shell, home, { localRoot: root, fixDirs: ["build"], argv: ["true"] });
        expect(readFileSync(cache, "utf8")).toBe(`CMAKE_HOME_DIRECTORY=${root}\n`);
        // A mapped build re-roots at the copy and says so; the next same-path build puts it back.
        await run(shell, home, { localRoot: root, fixDirs: ["build"], samePath: false, argv: ["true"] });
        expect(readFileSync(cache, "utf8")).toBe(`CMAKE_HOME_DIRECTORY=${home.copy}\n`);
        expect(existsSync(home.beside(".rch-rerooted"))).toBe(true);
        await run(shell, home, { localRoot: root, fixDirs: ["build"], argv: ["true"] });
        expect(readFileSync(cache, "utf8")).toBe(`CMAKE_HOME_DIRECTORY=${root}\n`);
        expect(existsSync(home.beside(".rch-rerooted"))).toBe(false);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );
});
