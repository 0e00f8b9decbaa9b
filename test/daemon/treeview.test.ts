// The live tree view (src/daemon/treeview) against the full scan it replaces: random file
// operations — create, edit keeping the size and the mtime's second, delete, rename files and
// dirs (within the tree, into and out of excluded dirs, out of the tree and back), chmod, symlink
// swaps, bulk checkouts of a subtree — and after every batch the view must equal scanTree's
// walk of the tree exactly (paths, sizes, mtimes, modes, inodes). Thousands of rounds, seeded:
// a failure prints its seed and round. Then the faults the view must turn into a rebuild: a
// queue overflow forced by a flood of changes, the root moved away, and the watch limit (set
// low in a user namespace of its own) making the view unavailable.
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { TreeView } from "../../src/daemon/treeview/view.ts";
import { scanTree } from "../../src/transfer/fingerprint.ts";
import { buildRules, compileRules } from "../../src/transfer/rules.ts";
import { run } from "../exec-scenarios/proc.ts";

setDefaultTimeout(120_000);

let base: string;
let root: string;
beforeEach(() => {
  base = mkdtempSync("/tmp/rchview-");
  root = join(base, "proj");
  mkdirSync(root);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const keep = () =>
  compileRules(
    buildRules({ includes: [], excludes: ["*.log"], familyExcludes: ["/target/"], projectRoot: root }),
  );

/** mulberry32: a small seeded PRNG, so a failing round can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

/** The full scan as path → its four numbers joined (what a copy synced from it holds). */
type Flat = Map<string, string>;
function flat(): Flat {
  const { paths, nums } = scanTree(root, keep()).raw;
  return new Map(paths.map((p, i) => [p, [...nums.subarray(4 * i, 4 * i + 4)].join(",")]));
}

/** A copy synced at an earlier state, brought forward by the view's delta since that state
 * (removals first, as run.sh applies them), must equal the tree now. */
function expectDeltaApplies(view: TreeView, before: Flat, epoch: string, gen: number, where: string): void {
  const d = view.since(epoch, gen, 1e9);
  expect({ where, known: d !== undefined }).toEqual({ where, known: true });
  const copy = new Map(before);
  const gone = [...d!.removed, ...d!.changed.filter((c) => c.created).map((c) => c.path)];
  for (const p of gone)
    for (const k of [...copy.keys()]) if (k === p || k.startsWith(`${p}/`)) copy.delete(k);
  for (const { path, entry: e } of d!.changed) copy.set(path, [e.size, e.mtimeMs, e.mode, e.ino].join(","));
  const now = flat();
  const diff = [...new Set([...copy.keys(), ...now.keys()])].filter((k) => copy.get(k) !== now.get(k));
  expect({ where, diff }).toEqual({ where, diff: [] });
}

function expectSame(view: TreeView, where: string): void {
  const scan = scanTree(root, keep());
  expect({ where, hash: view.fingerprint() }).toEqual({ where, hash: scan.hash });
  const full = scan.raw;
  const mine = view.ordered();
  if (mine.paths.join("\n") !== full.paths.join("\n")) {
    expect({ where, paths: mine.paths }).toEqual({ where, paths: full.paths });
  }
  for (let i = 0; i < full.nums.length; i++) {
    if (mine.nums[i] !== full.nums[i]) {
      const p = full.paths[Math.floor(i / 4)];
      expect({ where, path: p, field: i % 4, value: mine.nums[i] }).toEqual({
        where,
        path: p,
        field: i % 4,
        value: full.nums[i],
      });
    }
  }
}

/** Every path under root (files, links, dirs), relative, excluded ones too. */
function allPaths(dir = root, prefix = ""): { files: string[]; dirs: string[] } {
  const out = { files: [] as string[], dirs: [] as string[] };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.dirs.push(rel);
      const sub = allPaths(join(dir, e.name), rel);
      out.files.push(...sub.files);
      out.dirs.push(...sub.dirs);
    } else out.files.push(rel);
  }
  return out;
}

type R = ReturnType<typeof rng>;
const NAMES = ["a", "b", "c.rs", "d.log", "e.txt", "target", "node_modules", "src", "x y", "ü"];

function randomOp(r: R): void {
  const { files, dirs } = allPaths();
  const anyDir = () => (r.int(4) === 0 || dirs.length === 0 ? "" : r.pick(dirs));
  const fresh = () => {
    const d = anyDir();
    return d ? `${d}/${r.pick(NAMES)}` : r.pick(NAMES);
  };
  const abs = (p: string) => join(root, p);
  const op = r.int(12);
  try {
    switch (op) {
      case 0: // create or overwrite a file
        writeFileSync(abs(fresh()), "x".repeat(r.int(50)));
        break;
      case 1: {
        // edit keeping the size, then put the mtime back to its whole second
        if (!files.length) break;
        const f = abs(r.pick(files));
        const st = lstatSync(f, { throwIfNoEntry: false });
        if (!st?.isFile()) break;
        writeFileSync(f, "y".repeat(st.size));
        const s = Math.floor(st.mtimeMs / 1000);
        utimesSync(f, s, s);
        break;
      }
      case 2:
        if (files.length) rmSync(abs(r.pick(files)), { force: true });
        break;
      case 3: // rename a file, maybe over another
        if (files.length) renameSync(abs(r.pick(files)), abs(fresh()));
        break;
      case 4: // make a dir
        mkdirSync(abs(fresh()), { recursive: true });
        break;
      case 5: // remove a dir and everything in it
        if (dirs.length) rmSync(abs(r.pick(dirs)), { recursive: true, force: true });
        break;
      case 6: {
        // rename a dir (into excluded names too: target, node_modules), never into itself
        if (!dirs.length) break;
        const from = r.pick(dirs);
        const to = fresh();
        if (to === from || to.startsWith(`${from}/`)) break;
        renameSync(abs(from), abs(to));
        break;
      }
      case 7: // chmod a file or a dir
        if (files.length + dirs.length) {
          const p = abs(r.pick([...files, ...dirs]));
          if (!statSync(p, { throwIfNoEntry: false })) break;
          chmodSync(p, r.pick([0o644, 0o600, 0o755, 0o700]));
        }
        break;
      case 8: {
        // swap a file for a symlink (dangling or not), or a link for a file
        if (!files.length) break;
        const f = abs(r.pick(files));
        unlinkSync(f);
        if (r.int(2)) symlinkSync(r.pick(["a", "../elsewhere", "src"]), f);
        else writeFileSync(f, "swapped");
        break;
      }
      case 9: {
        // bulk checkout: a subtree replaced whole by another with other contents
        const d = anyDir() || "src";
        rmSync(abs(d), { recursive: true, force: true });
        mkdirSync(abs(`${d}/sub`), { recursive: true });
        for (let i = 0; i < 5; i++) writeFileSync(abs(`${d}/${i}.rs`), String(i).repeat(i));
        writeFileSync(abs(`${d}/sub/m.rs`), "m");
        break;
      }
      case 10: {
        // out of the tree and back
        if (!dirs.length) break;
        const d = r.pick(dirs);
        const away = join(base, "away");
        rmSync(away, { recursive: true, force: true });
        renameSync(abs(d), away);
        writeFileSync(join(away, "changed-while-away"), "z");
        renameSync(away, abs(d));
        break;
      }
      case 11: // a dir removed and made again under the same name
        if (dirs.length) {
          const d = r.pick(dirs);
          rmSync(abs(d), { recursive: true, force: true });
          mkdirSync(abs(d));
          writeFileSync(abs(`${d}/again`), "again");
        }
        break;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A random pick may meet a path that the op cannot apply to: that is not the view's business.
    if (!["ENOENT", "ENOTDIR", "EISDIR", "ENOTEMPTY", "EEXIST", "EINVAL", "ELOOP"].includes(code ?? ""))
      throw e;
  }
}

describe("the view equals a full scan", () => {
  test("after every batch of random operations (2,100 rounds, 3 seeds): entries, fingerprint, and the delta since earlier states", async () => {
    for (const seed of [1, 42, 20261205]) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(join(root, "src"), { recursive: true });
      writeFileSync(join(root, "src", "main.rs"), "fn main() {}");
      const view = await TreeView.open(root, keep());
      try {
        const r = rng(seed);
        expectSame(view, `seed ${seed}, start`);
        // Copies synced at earlier states (1, 5 and 25 rounds back): each delta must bring them here.
        const states: { epoch: string; gen: number; tree: Flat }[] = [];
        for (let round = 0; round < 700; round++) {
          states.push({ epoch: view.epoch, gen: view.gen, tree: flat() });
          if (states.length > 25) states.shift();
          const ops = 1 + r.int(6);
          for (let i = 0; i < ops; i++) randomOp(r);
          const res = await view.refresh();
          expect(res.kind).toBe("current");
          expectSame(view, `seed ${seed}, round ${round}`);
          for (const back of [1, 5, 25]) {
            const s = states[states.length - back];
            if (s)
              expectDeltaApplies(view, s.tree, s.epoch, s.gen, `seed ${seed}, round ${round}, ${back} back`);
          }
        }
      } finally {
        view.close();
      }
    }
  });

  test("reports what changed since the last refresh, and nothing when nothing did", async () => {
    writeFileSync(join(root, "a"), "1");
    mkdirSync(join(root, "d"));
    const view = await TreeView.open(root, keep());
    try {
      expect(await view.refresh()).toEqual({ kind: "current", changed: 0 });
      writeFileSync(join(root, "d", "new"), "n");
      writeFileSync(join(root, "x.log"), "excluded");
      rmSync(join(root, "a"));
      expect(await view.refresh()).toEqual({ kind: "current", changed: 2 });
      expect([...view.lastChanged()].sort()).toEqual(["a", "d/new"]);
      expect(await view.refresh()).toEqual({ kind: "current", changed: 0 });
    } finally {
      view.close();
    }
  });
});

describe("what the view cannot follow ends in a rebuild, never in a wrong answer", () => {
  test("a flood of changes overflows the inotify queue: the next refresh rebuilds by a full walk", async () => {
    mkdirSync(join(root, "flood"));
    const view = await TreeView.open(root, keep());
    try {
      // fs.inotify.max_queued_events is 16,384 by default. Appends alternating between two files
      // queue two events each (modify, close-write) that the kernel cannot merge with the last.
      const limit = Number((await Bun.file("/proc/sys/fs/inotify/max_queued_events").text()).trim());
      for (let i = 0; i <= limit / 2; i++) appendFileSync(join(root, "flood", `f${i % 2}`), "x");
      const res = await view.refresh();
      expect(res).toEqual({ kind: "rebuilt", why: expect.stringContaining("overflow") });
      expectSame(view, "after the overflow");
      writeFileSync(join(root, "after"), "a");
      expect(await view.refresh()).toEqual({ kind: "current", changed: 1 });
      expectSame(view, "after the rebuild");
    } finally {
      view.close();
    }
  });

  test("the project dir moved away: rebuilt (empty, as a scan of the path finds it)", async () => {
    writeFileSync(join(root, "a"), "1");
    const view = await TreeView.open(root, keep());
    try {
      renameSync(root, join(base, "moved"));
      expect((await view.refresh()).kind).toBe("rebuilt");
      expect(view.entries.size).toBe(0);
    } finally {
      view.close();
    }
  });

  test("the watch limit reached: the view says it is unavailable (full scans are used instead)", async () => {
    for (let i = 0; i < 20; i++) mkdirSync(join(root, `d${i}`));
    // A user namespace of its own counts inotify watches against its own limit, set to 10 here.
    const script = join(base, "limit.ts");
    writeFileSync(
      script,
      `import { TreeView } from ${JSON.stringify(join(import.meta.dir, "../../src/daemon/treeview/view.ts"))};\n` +
        `const v = await TreeView.open(${JSON.stringify(root)}, () => true);\n` +
        "console.log(JSON.stringify(await v.refresh()));\nv.close();\n",
    );
    const bun = process.execPath;
    const r = await run(
      [
        "unshare",
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        'echo 10 >/proc/sys/user/max_inotify_watches && exec "$@"',
        "sh",
        bun,
        script,
      ],
      { cwd: base, env: process.env as Record<string, string>, timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      kind: "unavailable",
      why: expect.stringContaining("watch limit"),
    });
    expect(existsSync(root)).toBe(true);
  });
});

describe("the daemon keeps serving while a view is built", () => {
  test("the first walk yields to the event loop; asks meanwhile wait for the whole view", async () => {
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(root, `d${d}`), { recursive: true });
      for (let f = 0; f < 250; f++) writeFileSync(join(root, `d${d}`, `f${f}`), "");
    }
    let ticks = 0;
    let opened = false;
    const opening = TreeView.open(root, keep()).then((v) => {
      opened = true;
      return v;
    });
    // Other requests (here: event-loop turns) are served before the 10,000-entry walk ends.
    while (!opened) {
      await new Promise((r) => setImmediate(r));
      if (!opened) ticks++;
    }
    const view = await opening;
    try {
      expect(ticks).toBeGreaterThan(1);
      expect(await view.refresh()).toEqual({ kind: "current", changed: 0 });
      expectSame(view, "after the yielding walk");
    } finally {
      view.close();
    }
  });
});
