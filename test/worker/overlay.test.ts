// run.sh's overlay (the sync header's "o" in same-path mode): what a build creates, changes and
// deletes in the tree is learnt from an overlay's upper dir instead of a walk of the copy. Run
// directly under dash and bash as an unprivileged user (setpriv, as a worker's sshd session is).
// The same build runs against two identical copies, one through the overlay and one walked: the
// copies must end identical, file by file (content, mode, link target), and the overlay's list of
// files for rch to pull must be what the walk's is, plus what only the overlay can see (a file
// whose mode alone changed, a directory moved by mv).
import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { argsFor, Home, NONCE, type RunArgs, runProgram, SHELLS, type Shell } from "./harness.ts";

const NOBODY = 65534;
const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];
/** Each run ends with the watchdog's ~2 s wait on its group; a slow machine may take a while. */
const BUDGET_MS = 90_000;
const scratch = mkdtempSync("/tmp/rchov-");
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The project before the build: every kind of entry the build below turns into another. */
const BEFORE: Record<string, string | null> = {
  "src/a.c": "int a;\n",
  "src/b.c": "int b;\n",
  "src/keep.c": "int keep;\n",
  "olddir/old1": "1\n",
  "olddir/old2": "2\n",
  fileToDir: "a file\n",
  "dirToFile/inner": "in a dir\n",
  "gone/deep/x": "x\n",
  "movedir/m": "m\n",
  "script.sh": "#!/bin/sh\n",
  "out/stale.o": "stale\n",
  ".git/HEAD": "ref: refs/heads/main\n",
  "untouched/u": "u\n",
};

/** The build: one of each change a build can make in its tree. */
const BUILD = [
  "set -e",
  "echo new >new.txt",
  "echo changed >>src/a.c",
  "rm src/b.c",
  "mkdir -p gen/deep && echo g >gen/deep/g.h",
  "rm -rf olddir && mkdir olddir && echo fresh >olddir/fresh",
  "rm fileToDir && mkdir fileToDir && echo inner >fileToDir/inner",
  "rm -rf dirToFile && echo now a file >dirToFile",
  "rm -rf gone",
  "ln -s new.txt link.txt",
  "mv movedir movedir2",
  "chmod 755 script.sh",
  "echo obj >out/obj.o && rm out/stale.o",
  "echo index >.git/index",
].join("\n");

function makeHome(): Home {
  const home = new Home();
  for (const [rel, text] of Object.entries(BEFORE)) {
    const abs = join(home.copy, rel);
    mkdirSync(join(abs, ".."), { recursive: true });
    if (text !== null) writeFileSync(abs, text);
  }
  chmodSync(join(home.copy, "script.sh"), 0o644);
  chownTree(home.dir);
  return home;
}

function chownTree(dir: string): void {
  chownSync(dir, NOBODY, NOBODY);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTree(p);
    else if (!e.isSymbolicLink()) chownSync(p, NOBODY, NOBODY);
  }
}

/** Every entry of a tree: type, mode and content or link target. */
function snapshot(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, r));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(join(dir, r))}`;
    else if (st.isDirectory()) {
      out[r] = `dir ${mode}`;
      Object.assign(out, snapshot(dir, r));
    } else out[r] = `file ${mode} ${readFileSync(join(dir, r), "utf8")}`;
  }
  return out;
}

function newList(home: Home): string[] {
  const f = home.beside(`.rch-new-${NONCE}`);
  if (!existsSync(f)) return [];
  return readFileSync(f, "utf8")
    .split("\0")
    .filter(Boolean)
    .map((p) => p.replace(/^\.\//, ""))
    .sort();
}

async function build(shell: Shell, home: Home, overlay: boolean, extra: Partial<RunArgs> = {}) {
  const root = mkdtempSync(join(scratch, "root-"));
  chmodSync(root, 0o755);
  const args = argsFor(home, {
    samePath: true,
    localRoot: root,
    trackInTree: true,
    outputDirs: ["out"],
    argv: ["sh", "-c", BUILD],
    ...extra,
  });
  const header = `H - s1 0 0 ${overlay ? "o" : "-"}\n`;
  return runProgram(shell, home, args, [header], "/usr/bin:/bin", AS_NOBODY);
}

/** What is next to the copy besides the files rch's protocol names: the overlay's dirs must go. */
function leftovers(home: Home): string[] {
  return readdirSync(join(home.dir, "projects")).filter((n) => n.includes(".rch-ov-"));
}

describe.each(SHELLS)("run.sh in-tree changes through an overlay under %s", (shell) => {
  test(
    "the copy ends as the walk leaves it; the list is the walk's plus what only the overlay sees",
    async () => {
      const walked = makeHome();
      const through = makeHome();
      try {
        const w = await build(shell, walked, false);
        const o = await build(shell, through, true);
        expect(w.end?.exitCode).toBe(0);
        expect(o.end?.exitCode).toBe(0);
        expect(o.stderr).toBe("");
        expect(snapshot(through.copy)).toEqual(snapshot(walked.copy));
        const walkList = newList(walked);
        const overlayList = newList(through);
        for (const f of walkList) expect(overlayList).toContain(f);
        expect(overlayList.filter((f) => !walkList.includes(f))).toEqual(["movedir2/m", "script.sh"]);
        expect(overlayList).toEqual([
          "dirToFile",
          "fileToDir/inner",
          "gen/deep/g.h",
          "link.txt",
          "movedir2/m",
          "new.txt",
          "olddir/fresh",
          "script.sh",
          "src/a.c",
        ]);
        expect(o.end?.newFiles).toBe(true);
        // The output dir was written directly (bound through the overlay), its state reported.
        expect(o.end?.outputs).toEqual(w.end?.outputs);
        expect(leftovers(through)).toEqual([]);
      } finally {
        walked.dispose();
        through.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a build that changes nothing lists nothing and leaves nothing",
    async () => {
      const home = makeHome();
      const before = snapshot(home.copy);
      try {
        const r = await build(shell, home, true, {
          argv: ["sh", "-c", "cat src/a.c >/dev/null; ls -R >/dev/null"],
        });
        expect(r.end?.exitCode).toBe(0);
        expect(r.end?.newFiles).toBe(false);
        expect(newList(home)).toEqual([]);
        expect(snapshot(home.copy)).toEqual(before);
        expect(leftovers(home)).toEqual([]);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a failing build's writes still reach the copy and the list; its status is the build's",
    async () => {
      const home = makeHome();
      try {
        const r = await build(shell, home, true, { argv: ["sh", "-c", "echo half >half.o; exit 3"] });
        expect(r.end?.exitCode).toBe(3);
        expect(newList(home)).toEqual(["half.o"]);
        expect(readFileSync(join(home.copy, "half.o"), "utf8")).toBe("half\n");
        expect(leftovers(home)).toEqual([]);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );

  test(
    "a copy path overlayfs cannot name (a comma): the walk, with the same result",
    async () => {
      const home = makeHome();
      const odd = join(home.dir, "projects", "p,q");
      try {
        // Home's copy is projects/p: move it to projects/p,q and point the run at that.
        rmSync(odd, { recursive: true, force: true });
        const { renameSync } = await import("node:fs");
        renameSync(home.copy, odd);
        const r = await build(shell, home, true, { remoteDir: "projects/p,q" });
        expect(r.end?.exitCode).toBe(0);
        const list = readFileSync(`${odd}.rch-new-${NONCE}`, "utf8")
          .split("\0")
          .filter(Boolean)
          .map((p) => p.replace(/^\.\//, ""))
          .sort();
        // The walk: a moved dir keeps its files' times, a chmod moves no mtime.
        expect(list).toEqual([
          "dirToFile",
          "fileToDir/inner",
          "gen/deep/g.h",
          "link.txt",
          "new.txt",
          "olddir/fresh",
          "src/a.c",
        ]);
        expect(readdirSync(join(home.dir, "projects")).filter((n) => n.includes(".rch-ov-"))).toEqual([]);
      } finally {
        home.dispose();
      }
    },
    BUDGET_MS,
  );
});

test(
  "an overlay the kernel mounts read-only (no work dir): the copy is bound instead, and walked",
  async () => {
    const home = makeHome();
    const ov = home.beside(`.rch-ov-${NONCE}`);
    try {
      // A work dir the worker user cannot write into (root's): overlayfs cannot make its own dir
      // there and mounts read-only, which only its kernel log says.
      mkdirSync(join(ov, "u"), { recursive: true });
      mkdirSync(join(ov, "w"));
      chownSync(ov, NOBODY, NOBODY);
      chownSync(join(ov, "u"), NOBODY, NOBODY);
      const r = await build("dash", home, true, { argv: ["sh", "-c", "echo made >made.o"] });
      expect(r.end?.exitCode).toBe(0);
      expect(r.stderr).toBe("");
      expect(newList(home)).toEqual(["made.o"]);
      expect(readFileSync(join(home.copy, "made.o"), "utf8")).toBe("made\n");
      expect(leftovers(home)).toEqual([]);
    } finally {
      home.dispose();
    }
  },
  BUDGET_MS,
);

test(
  "a killed build's overlay dirs (a mode-000 work dir inside) are swept once an hour old",
  async () => {
    const home = makeHome();
    const stale = home.beside(".rch-ov-deadbeef");
    const young = home.beside(".rch-ov-feedface");
    try {
      for (const d of [stale, young]) {
        mkdirSync(join(d, "w", "work"), { recursive: true });
        writeFileSync(join(d, "w", "work", "#whiteout"), "");
        mkdirSync(join(d, "u"));
        writeFileSync(join(d, "u", "built.o"), "o\n");
        chownTree(d);
        chmodSync(join(d, "w", "work"), 0);
      }
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(stale, old, old);
      const r = await build("dash", home, true, { argv: ["true"] });
      expect(r.end?.exitCode).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(young)).toBe(true);
    } finally {
      chmodSync(join(young, "w", "work"), 0o700);
      home.dispose();
    }
  },
  BUDGET_MS,
);

test(
  "an overlay that is not asked for is never made (mapped mode)",
  async () => {
    const home = makeHome();
    try {
      const r = await runProgram(
        "dash",
        home,
        argsFor(home, { trackInTree: true, argv: ["sh", "-c", "echo x >made"] }),
        ["H - s1 0 0 o\n"],
        "/usr/bin:/bin",
        AS_NOBODY,
      );
      expect(r.end?.exitCode).toBe(0);
      expect(r.start?.samePath).toBeFalsy();
      expect(newList(home)).toEqual(["made"]);
      expect(leftovers(home)).toEqual([]);
    } finally {
      home.dispose();
    }
  },
  BUDGET_MS,
);
