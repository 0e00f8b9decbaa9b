// The worker's garbage collector (src/worker/gc.sh) and heartbeat (heartbeat.sh) on their own,
// under dash and under bash, no ssh: real files in a scratch HOME, real flock(1) holders, real
// du/df. Which copies go is driven by the budget (max_disk), which makes the choice exact on any
// filesystem; the free-space goal is checked on a small tmpfs of its own.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  existsSync,
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
import { type GcReport, parseGcOutput } from "../../src/ssh/gcOutput.ts";
import { GC_PROGRAM, HEARTBEAT_PROGRAM } from "../../src/worker/programs.ts";
import { withoutUserNamespaces } from "../bed/userns.ts";
import { type Running, run, start } from "../exec-scenarios/proc.ts";
import { SHELLS, type Shell } from "./harness.ts";

setDefaultTimeout(60_000);

const KB = 1024;
const HOUR = 3600;
const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);

/** Tools gc.sh and heartbeat.sh use, for a PATH without flock. */
const SYS = { cwd: "/", env: { PATH: "/usr/bin:/bin" } };

const TOOLS = ["awk", "cat", "chmod", "date", "df", "du", "mkdir", "mv", "rm", "sort", "stat", "tail"];

/** By absolute path: some tests give the program a PATH without the shell on it. */
const sh = (shell: Shell): string => Bun.which(shell) ?? shell;

let scratch: Scratch | undefined;
const holders: Running[] = [];
afterEach(async () => {
  for (const h of holders.splice(0)) {
    try {
      process.kill(-h.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await h.exited;
  }
  await scratch?.dispose();
  scratch = undefined;
});

interface CopySpec {
  /** Size of its one data file, kB. */
  kb: number;
  /** Last use, seconds ago: the stamp's mtime (or, with stamp: false, the dir's and target's). */
  ago: number;
  stamp?: false | string;
  /** kB in target/debug/incremental. */
  incrementalKb?: number;
}

/** A scratch HOME whose remote_root is "root" (passed relative, as rch passes ~/…). */
class Scratch {
  readonly home = realpathSync(mkdtempSync("/tmp/rchgc-"));
  readonly root = join(this.home, "root");
  private mounted = false;

  constructor() {
    mkdirSync(join(this.root, ".rch", "stamps"), { recursive: true });
  }

  /** Puts root on its own tmpfs of this many kB (for the free-space goal). */
  async mount(sizeKb: number): Promise<void> {
    const r = await run(["mount", "-t", "tmpfs", "-o", `size=${sizeKb}k`, "rchgc", this.root], {
      ...SYS,
      timeoutMs: 10_000,
    });
    if (r.code !== 0) throw new Error(`mount: ${r.stderr}`);
    this.mounted = true;
    mkdirSync(join(this.root, ".rch", "stamps"), { recursive: true });
  }

  copy(name: string, s: CopySpec): string {
    const dir = join(this.root, name);
    mkdirSync(join(dir, "target", "debug"), { recursive: true });
    writeFileSync(join(dir, "data"), Buffer.alloc(s.kb * KB, 7));
    if (s.incrementalKb) {
      mkdirSync(join(dir, "target", "debug", "incremental", "s-1"), { recursive: true });
      writeFileSync(
        join(dir, "target", "debug", "incremental", "s-1", "q"),
        Buffer.alloc(s.incrementalKb * KB, 1),
      );
    }
    writeFileSync(`${dir}.rch-sync`, "sync-id\n");
    writeFileSync(`${dir}.rch-rerooted`, ""); // a mapped build re-rooted its build dirs
    const t = NOW - s.ago;
    if (s.stamp !== false) {
      const stamp = join(this.root, ".rch", "stamps", name);
      writeFileSync(stamp, `${s.stamp ?? `client=c0ffee name=ws a project=/home/u/${name}`}\n`);
      utimesSync(stamp, t, t);
    } else {
      utimesSync(join(dir, "target"), t, t);
      utimesSync(dir, t, t);
    }
    return dir;
  }

  lock(name: string): string {
    const f = join(this.root, ".rch", "locks", name);
    mkdirSync(join(this.root, ".rch", "locks"), { recursive: true });
    writeFileSync(f, "");
    return f;
  }

  copies(): string[] {
    return readdirSync(this.root)
      .filter((n) => /-[0-9a-f]{12}$/.test(n))
      .sort();
  }

  async dispose(): Promise<void> {
    if (this.mounted) await run(["umount", this.root], { ...SYS, timeoutMs: 10_000 });
    rmSync(this.home, { recursive: true, force: true });
  }
}

interface Policy {
  minFreeKb?: number;
  maxDiskKb?: number;
  headroomKb?: number;
  keepRecentS?: number;
  criticalKb?: number;
  trimAfterS?: number;
}

function gcArgv(mode: string, p: Policy): string[] {
  return [
    mode,
    "root",
    String(p.minFreeKb ?? 0),
    String(p.maxDiskKb ?? 0),
    String(p.headroomKb ?? 0),
    String(p.keepRecentS ?? 0),
    String(p.criticalKb ?? 0),
    String(p.trimAfterS ?? 30 * DAY),
  ];
}

function envFor(s: Scratch, path = "/usr/bin:/bin") {
  return { HOME: s.home, PATH: path, LANG: "C" };
}

async function gc(shell: Shell, s: Scratch, mode: string, p: Policy, path?: string): Promise<GcReport> {
  const r = await run([sh(shell), "-c", GC_PROGRAM, "rch", ...gcArgv(mode, p)], {
    cwd: "/",
    env: envFor(s, path),
    timeoutMs: 30_000,
  });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return parseGcOutput(r.stdout);
}

/** A PATH with the tools gc.sh needs but not flock (a worker such as stock macOS). */
function pathWithoutFlock(s: Scratch): string {
  const bin = join(s.home, "bin");
  mkdirSync(bin);
  for (const t of TOOLS) {
    const at = ["/usr/bin", "/bin"].map((d) => join(d, t)).find((p) => existsSync(p));
    if (at) symlinkSync(at, join(bin, t));
  }
  return bin;
}

/** Holds a copy's lock as a build's session does (`flock -s <lock> sleep`), until afterEach. */
async function holdLock(file: string, mode: "-s" | "-x" = "-s"): Promise<void> {
  const ready = `${file}.held`;
  const h = start(["flock", mode, file, "sh", "-c", 'touch "$0"; exec sleep 60', ready], {
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
    timeoutMs: 60_000,
  });
  holders.push(h);
  const end = Date.now() + 10_000;
  while (!existsSync(ready) && Date.now() < end) await Bun.sleep(10);
  if (!existsSync(ready)) throw new Error("the lock holder did not start");
}

const rows = (r: GcReport) => r.copies.map((c) => [c.name, c.action, c.why]);

/** Five copies of ~1 MB, used 5, 4, 3, 2 and 1 days ago (a the oldest). */
function fiveCopies(s: Scratch): [string, string, string, string, string] {
  const name = (n: string, i: number) => {
    s.copy(`${n}-00000000000${i}`, { kb: 1000, ago: (5 - i) * DAY });
    return `${n}-00000000000${i}`;
  };
  return [name("a", 0), name("b", 1), name("c", 2), name("d", 3), name("e", 4)];
}

describe.each(SHELLS)("gc.sh under %s", (shell) => {
  test("plan: least recently used first, just enough removed for the budget, nothing touched", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    s.copy("not-a-copy", { kb: 10, ago: 9 * DAY }); // no 12-hex suffix: not rch's
    const before = JSON.stringify([readdirSync(s.root).sort(), readdirSync(join(s.root, ".rch")).sort()]);
    const plan = await gc(shell, s, "plan", { maxDiskKb: 3100 });
    expect(plan.mode).toBe("plan");
    expect(plan.flock).toBe(true);
    expect(Math.abs(plan.now - NOW)).toBeLessThan(600);
    expect(rows(plan)).toEqual([
      [names[0], "remove", "budget"],
      [names[1], "remove", "budget"],
      [names[2], "keep", "enough"],
      [names[3], "keep", "enough"],
      [names[4], "keep", "enough"],
    ]);
    expect(plan.copies.map((c) => c.lastUse)).toEqual([5, 4, 3, 2, 1].map((d) => NOW - d * DAY));
    expect(plan.copies[0]!.stamp).toEqual({ client: "c0ffee", name: "ws a", project: `/home/u/${names[0]}` });
    for (const c of plan.copies) expect(c.sizeKb).toBeGreaterThanOrEqual(1000);
    const end = plan.end!;
    expect(end.met).toBe(true);
    expect(end.freedKb).toBe(plan.copies[0]!.sizeKb + plan.copies[1]!.sizeKb);
    expect(end.usageBeforeKb - end.usageAfterKb).toBe(end.freedKb);
    expect(end.availAfterKb - end.availBeforeKb).toBe(end.freedKb);
    // A dry run creates and removes nothing (not even .rch/locks or a census).
    expect(JSON.stringify([readdirSync(s.root).sort(), readdirSync(join(s.root, ".rch")).sort()])).toBe(
      before,
    );
  });

  test("run: removes what the plan said, keeps lock files, writes the census", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    const plan = await gc(shell, s, "plan", { maxDiskKb: 3100 });
    const done = await gc(shell, s, "run", { maxDiskKb: 3100 });
    expect(rows(done)).toEqual(rows(plan));
    expect(done.end!.freedKb).toBe(plan.end!.freedKb);
    expect(done.end!.met).toBe(true);
    expect(s.copies()).toEqual(names.slice(2));
    const rch = join(s.root, ".rch");
    expect(readdirSync(join(rch, "stamps")).sort()).toEqual(names.slice(2));
    expect(readdirSync(join(rch, "locks")).sort()).toEqual(names); // never removed
    expect(readdirSync(join(rch, "trash"))).toEqual([]);
    // The copy's own sync stamp goes with it: a copy made again is never taken for synced.
    expect(existsSync(join(s.root, `${names[0]}.rch-sync`))).toBe(false);
    expect(existsSync(join(s.root, `${names[2]}.rch-sync`))).toBe(true);
    // So does its re-rooting mark: a copy made again is re-rooted by its first mapped build.
    expect(existsSync(join(s.root, `${names[0]}.rch-rerooted`))).toBe(false);
    expect(existsSync(join(s.root, `${names[2]}.rch-rerooted`))).toBe(true);
    const census = readFileSync(join(rch, "census"), "utf8").trimEnd().split("\n");
    expect(census.map((l) => l.split(" ")[0])).toEqual(names.slice(2));
    for (const line of census) {
      const [name, kb, at] = line.split(" ");
      expect(Number(kb)).toBe(done.copies.find((c) => c.name === name)!.sizeKb);
      expect(Number(at)).toBe(done.now);
    }
    // Goals met: a second run removes nothing.
    const again = await gc(shell, s, "run", { maxDiskKb: 3100 });
    expect(again.copies.every((c) => c.action === "keep" && c.why === "enough")).toBe(true);
  });

  test("a copy without a stamp counts as last used when its dir or target/ last changed", async () => {
    scratch = new Scratch();
    const s = scratch;
    s.copy("old-0000000000aa", { kb: 1000, ago: 2 * DAY });
    s.copy("unstamped-0000000000bb", { kb: 1000, ago: 3 * DAY, stamp: false });
    s.copy("new-0000000000cc", { kb: 1000, ago: DAY });
    const plan = await gc(shell, s, "plan", { maxDiskKb: 2100 });
    expect(rows(plan)).toEqual([
      ["unstamped-0000000000bb", "remove", "budget"],
      ["old-0000000000aa", "keep", "enough"],
      ["new-0000000000cc", "keep", "enough"],
    ]);
    expect(plan.copies[0]!.stamp).toEqual({});
    expect(plan.copies[0]!.lastUse).toBe(NOW - 3 * DAY);
  });

  test("keep_recent_h: recent copies stay even when the goal is not met, unless free space is critical", async () => {
    scratch = new Scratch();
    const s = scratch;
    s.copy("old-000000000001", { kb: 1000, ago: 3 * HOUR });
    s.copy("new-000000000002", { kb: 1000, ago: 30 * 60 });
    // A free-space goal no disk can meet: everything not protected would go.
    const never = { minFreeKb: 2 ** 50, keepRecentS: 2 * HOUR };
    const kept = await gc(shell, s, "plan", { ...never, criticalKb: 0 });
    expect(rows(kept)).toEqual([
      ["old-000000000001", "remove", "free"],
      ["new-000000000002", "keep", "recent"],
    ]);
    expect(kept.end!.met).toBe(false);
    // Below the critical level (clamped to half the floor, which here is above any disk's free
    // space) the grace no longer holds.
    const critical = await gc(shell, s, "run", { ...never, criticalKb: 2 ** 50 });
    expect(critical.goal.criticalKb).toBe(2 ** 49);
    expect(rows(critical)).toEqual([
      ["old-000000000001", "remove", "free"],
      ["new-000000000002", "remove", "critical"],
    ]);
    expect(s.copies()).toEqual([]);
  });

  test("never a copy whose lock is held, shared or exclusive, nor one where cargo holds its lock", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    await holdLock(s.lock(names[0]!), "-s");
    await holdLock(s.lock(names[1]!), "-x");
    const cargoLock = join(s.root, names[2]!, "target", "debug", ".cargo-lock");
    writeFileSync(cargoLock, "");
    await holdLock(cargoLock, "-x");
    const budget = { maxDiskKb: 2000 };
    const plan = await gc(shell, s, "plan", budget);
    const done = await gc(shell, s, "run", budget);
    for (const r of [plan, done]) {
      expect(rows(r)).toEqual([
        [names[0], "keep", "in-use"],
        [names[1], "keep", "in-use"],
        [names[2], "keep", "in-use"],
        [names[3], "remove", "budget"],
        [names[4], "remove", "budget"],
      ]);
      expect(r.end!.met).toBe(false); // three in use are over the budget on their own
    }
    expect(s.copies()).toEqual(names.slice(0, 3));
  });

  test("run: a copy whose lock file cannot be made counts as in use", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    writeFileSync(join(s.root, ".rch", "locks"), "not a dir\n"); // no lock file can go in there
    const r = await gc(shell, s, "run", { maxDiskKb: 1 });
    expect(r.copies.map((c) => c.why)).toEqual(names.map(() => "in-use"));
    expect(s.copies()).toEqual(names);
  });

  test("stage 1 trims cargo's incremental dirs of idle copies before removing any copy", async () => {
    scratch = new Scratch();
    const s = scratch;
    const idle = s.copy("idle-000000000001", { kb: 500, ago: 5 * DAY, incrementalKb: 1500 });
    s.copy("mid-000000000002", { kb: 500, ago: 2 * DAY, incrementalKb: 1500 });
    s.copy("new-000000000003", { kb: 500, ago: DAY });
    const policy = { maxDiskKb: 3300, trimAfterS: 3 * DAY };
    const plan = await gc(shell, s, "plan", policy);
    expect(rows(plan)).toEqual([
      ["idle-000000000001", "trim", "idle"],
      ["mid-000000000002", "keep", "enough"], // used 2 days ago: not idle long enough to trim
      ["new-000000000003", "keep", "enough"],
    ]);
    expect(plan.copies[0]!.freedKb).toBeGreaterThanOrEqual(1500);
    const done = await gc(shell, s, "run", policy);
    expect(rows(done)).toEqual(rows(plan));
    expect(done.end!.freedKb).toBe(plan.end!.freedKb);
    expect(existsSync(join(idle, "target", "debug", "incremental"))).toBe(false);
    expect(existsSync(join(idle, "data"))).toBe(true);
    const census = readFileSync(join(s.root, ".rch", "census"), "utf8");
    expect(census).toContain(`idle-000000000001 ${done.copies[0]!.sizeKb - done.copies[0]!.freedKb} `);
    // A tighter budget: the trimmed copy goes whole afterwards, counted once.
    const tight = await gc(shell, s, "run", { maxDiskKb: 2500, trimAfterS: 3 * DAY });
    expect(tight.copies[0]).toMatchObject({ name: "idle-000000000001", action: "remove", why: "budget" });
  });

  test("the free-space goal plus headroom, on a small disk of its own", async () => {
    scratch = new Scratch();
    const s = scratch;
    await s.mount(8192);
    for (let i = 0; i < 6; i++) s.copy(`c${i}-00000000000${i}`, { kb: 1000, ago: (6 - i) * DAY });
    // ~2 MB free of 8 MB; want 3 MB + headroom (1 MB asked, clamped to a tenth of the disk).
    const policy = { minFreeKb: 3072, headroomKb: 1024 };
    const plan = await gc(shell, s, "plan", policy);
    expect(plan.goal.freeKb).toBe(3072 + 819);
    const want = plan.goal.freeKb;
    const done = await gc(shell, s, "run", policy);
    expect(rows(done)).toEqual(rows(plan));
    const removed = done.copies.filter((c) => c.action === "remove");
    expect(removed.map((c) => c.name)).toEqual(done.copies.slice(0, removed.length).map((c) => c.name));
    expect(done.end!.availAfterKb).toBeGreaterThanOrEqual(want);
    // Just enough: without the last removal the goal would not have been met.
    expect(done.end!.availAfterKb - removed.at(-1)!.sizeKb).toBeLessThan(want);
    const df = await run(["df", "-Pk", s.root], { ...SYS, timeoutMs: 5000 });
    expect(Number(df.stdout.trim().split("\n")[1]!.split(/\s+/)[3])).toBe(done.end!.availAfterKb);
    expect(Math.abs(plan.end!.availAfterKb - done.end!.availAfterKb)).toBeLessThanOrEqual(8);
  });

  test("an interrupted GC's trash is emptied first, and counted", async () => {
    scratch = new Scratch();
    const s = scratch;
    const left = join(s.root, ".rch", "trash", "gone-000000000009.4242");
    mkdirSync(join(left, "sub"), { recursive: true });
    writeFileSync(join(left, "sub", "f"), Buffer.alloc(700 * KB));
    s.copy("k-000000000001", { kb: 100, ago: DAY });
    const plan = await gc(shell, s, "plan", { maxDiskKb: 10_000 });
    expect(plan.trashKb).toBeGreaterThanOrEqual(700);
    expect(plan.end!.freedKb).toBe(plan.trashKb);
    expect(existsSync(left)).toBe(true);
    const done = await gc(shell, s, "run", { maxDiskKb: 10_000 });
    expect(done.trashKb).toBe(plan.trashKb);
    expect(readdirSync(join(s.root, ".rch", "trash"))).toEqual([]);
    expect(s.copies()).toEqual(["k-000000000001"]);
  });

  test("a trash entry of empty dirs only (0 kB on tmpfs: a GC killed inside rm -rf) is emptied too", async () => {
    scratch = new Scratch();
    const s = scratch;
    await s.mount(4096);
    const left = join(s.root, ".rch", "trash", "gone-00000000000a.4243");
    mkdirSync(join(left, "target", "debug", "deps"), { recursive: true });
    const done = await gc(shell, s, "run", { maxDiskKb: 10_000 });
    expect(done.trashKb).toBe(0);
    expect(readdirSync(join(s.root, ".rch", "trash"))).toEqual([]);
  });

  test("one GC at a time: a run finding gc.lock held does nothing and says busy", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    const lock = join(s.root, ".rch", "gc.lock");
    writeFileSync(lock, "");
    await holdLock(lock, "-x");
    const r = await gc(shell, s, "run", { maxDiskKb: 1 });
    expect(r.busy).toBe(true);
    expect(r.copies).toEqual([]);
    expect(r.end).toBeUndefined();
    expect(s.copies()).toEqual(names);
  });

  test("run: a remote_root where .rch cannot be written says so and does nothing", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    rmSync(join(s.root, ".rch"), { recursive: true });
    writeFileSync(join(s.root, ".rch"), "not a dir\n");
    const r = await gc(shell, s, "run", { maxDiskKb: 1 });
    expect(r.error).toBe(`cannot write ${s.root}/.rch`);
    expect(r.copies).toEqual([]);
    expect(s.copies()).toEqual(names);
  });

  test("without flock: nothing is removed or trimmed, and the output says why", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    const trash = join(s.root, ".rch", "trash", "x-000000000009.1");
    mkdirSync(trash, { recursive: true });
    const path = pathWithoutFlock(s);
    const r = await gc(shell, s, "run", { maxDiskKb: 1 }, path);
    expect(r.flock).toBe(false);
    expect(r.copies.map((c) => [c.action, c.why])).toEqual(names.map(() => ["keep", "no-flock"]));
    expect(s.copies()).toEqual(names);
    expect(existsSync(trash)).toBe(false); // the trash is nobody's: still emptied
  });

  test("a stamp whose copy is gone is removed, unless the copy's lock is held (a first build)", async () => {
    scratch = new Scratch();
    const s = scratch;
    const stamps = join(s.root, ".rch", "stamps");
    writeFileSync(join(stamps, "orphan-000000000001"), "client=x\n");
    writeFileSync(join(stamps, "first-000000000002"), "client=y\n");
    await holdLock(s.lock("first-000000000002"), "-x");
    await gc(shell, s, "run", {});
    expect(readdirSync(stamps)).toEqual(["first-000000000002"]);
  });

  test("census: sizes written, nothing removed", async () => {
    scratch = new Scratch();
    const s = scratch;
    const names = fiveCopies(s);
    const r = await gc(shell, s, "census", { maxDiskKb: 1 });
    expect(r.copies.map((c) => c.action)).toEqual(["remove", "remove", "remove", "remove", "remove"]);
    expect(s.copies()).toEqual(names);
    const lines = readFileSync(join(s.root, ".rch", "census"), "utf8")
      .trimEnd()
      .split("\n");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(names);
    expect(lines.map((l) => Number(l.split(" ")[1]))).toEqual(r.copies.map((c) => c.sizeKb));
  });

  test("bad arguments: exit 2, nothing done", async () => {
    scratch = new Scratch();
    const s = scratch;
    fiveCopies(s);
    for (const argv of [gcArgv("erase", {}), gcArgv("run", { maxDiskKb: -1 }), ["run", "root", "1e9"]]) {
      const r = await run([sh(shell), "-c", GC_PROGRAM, "rch", ...argv], {
        cwd: "/",
        env: envFor(s),
        timeoutMs: 10_000,
      });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
    }
    expect(s.copies()).toHaveLength(5);
  });
});

describe.each(SHELLS)("heartbeat.sh under %s", (shell) => {
  const beat = (s: Scratch, root: string, path = "/usr/bin:/bin") =>
    run([sh(shell), "-c", HEARTBEAT_PROGRAM, "rch", root], {
      cwd: "/",
      env: envFor(s, path),
      timeoutMs: 10_000,
    });

  test("free and total space of remote_root's filesystem, and flock, one fact per line", async () => {
    scratch = new Scratch();
    const s = scratch;
    await s.mount(4096);
    writeFileSync(join(s.root, "f"), Buffer.alloc(1024 * KB));
    const r = await beat(s, "root");
    expect(r.code).toBe(0);
    const df = (await run(["df", "-Pk", s.root], { ...SYS, timeoutMs: 5000 })).stdout
      .split("\n")[1]!
      .split(/\s+/);
    expect(r.stdout).toMatch(
      new RegExp(`^disk ${df[3]} ${df[1]}\nflock yes\nsamepath yes\ntoolchains \\d+-\\d+\\n$`),
    );
    expect(Number(df[1])).toBe(4096);
  });

  test("samepath no where the kernel refuses user namespaces (builds there run mapped)", async () => {
    scratch = new Scratch();
    const r = await run([...withoutUserNamespaces([sh(shell), "-c", HEARTBEAT_PROGRAM, "rch", "root"])], {
      cwd: "/",
      env: envFor(scratch, "/usr/bin:/bin"),
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nsamepath no\ntoolchains \d+-\d+\n$/);
  });

  test("creates a missing remote_root (relative to HOME, or absolute) as the first build would", async () => {
    scratch = new Scratch();
    const s = scratch;
    const r = await beat(s, "deep/er/root");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^disk \d+ \d+\nflock yes\nsamepath yes\ntoolchains \d+-\d+\n$/);
    expect(existsSync(join(s.home, "deep", "er", "root"))).toBe(true);
    const abs = join(s.home, "abs root");
    expect((await beat(s, abs)).code).toBe(0);
    expect(existsSync(abs)).toBe(true);
  });

  test("without flock on PATH: flock no; df failing: no disk line, still exit 0", async () => {
    scratch = new Scratch();
    const s = scratch;
    const path = pathWithoutFlock(s);
    expect((await beat(s, "root", path)).stdout).toMatch(
      /^disk \d+ \d+\nflock no\nsamepath no\ntoolchains \S+\n$/,
    );
    const empty = join(s.home, "empty");
    mkdirSync(empty);
    const r = await beat(s, "root", empty);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flock no\nsamepath no\ntoolchains \S+\n$/);
  });
});
