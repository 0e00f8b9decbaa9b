// One fleet, several workstations, on the real bed: each "workstation" is an installation of its
// own (config, cache and state dirs, so its own client id, name and rchd), all building on one
// two-slot worker. The worker's slot locks cap what runs there; a build that finds the worker
// full waits for a slot instead of running locally; workstations with continuous demand share
// the slot time about evenly; max_share caps one; `rch status` shows others' builds; a worker
// without flock(1) works as before. Builds journal (make-c's `journal` target) when they start
// and end, as which user (the worker's, or root locally) and for which workstation.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectRanRemotely, expectSameOutput, expectSameTree, Scenario, TREE, useFleet } from "./harness.ts";
import { FALLBACK_RE } from "./normalize.ts";
import { type Outcome, run } from "./proc.ts";
import { REPO, rchBinary } from "./rchbin.ts";

setDefaultTimeout(240_000);
const bed = useFleet([
  { id: "w1", totalSlots: 2 },
  { id: "bare", totalSlots: 1, withoutCommands: ["flock"] },
]);

/** Heartbeats (and so slot counts) every 2 s: "within one heartbeat" stays short. */
const HEARTBEAT_S = 2;

interface Station {
  name: string;
  sc: Scenario;
  /** Project copies of make-c, one per concurrent build. */
  dirs: string[];
}

/** A workstation named `name` building on `worker` only, with `projects` project copies. */
async function station(
  name: string,
  worker: string,
  projects: number,
  o: { slotWaitMs?: number; maxShare?: number } = {},
): Promise<Station> {
  const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet, workers: [worker] });
  writeFileSync(
    join(sc.cfgDir, "config.toml"),
    [
      "[general]",
      `client_name = "${name}"`,
      "[compilation]",
      "min_local_time_ms = 0",
      "remote_speedup_threshold = 0",
      "[daemon]",
      `heartbeat_interval_s = ${HEARTBEAT_S}`,
      `slot_wait_ms = ${o.slotWaitMs ?? 60_000}`,
      "",
    ].join("\n"),
  );
  if (o.maxShare !== undefined) {
    writeFileSync(
      join(sc.cfgDir, "workers.toml"),
      bed.fleet.workersToml((w) => (w.id === worker ? { max_share: o.maxShare } : { enabled: false })),
    );
  }
  const dirs: string[] = [];
  for (let i = 0; i < projects; i++) {
    const dir = join(sc.root, `p${i}`);
    cpSync(join(REPO, "test", "fixtures", "make-c"), dir, { recursive: true });
    dirs.push(dir);
  }
  return { name, sc, dirs };
}

async function journalBuild(st: Station, dir: string, journal: string, sleepS: number): Promise<Outcome> {
  const argv = [await rchBinary(), "exec", "--", "make", "journal"];
  argv.push(`JOURNAL=${journal}`, `SLEEP=${sleepS}`, `TAG=${st.name}`);
  return run(argv, { cwd: dir, env: st.sc.env, timeoutMs: 150_000 });
}

interface Event {
  start: boolean;
  user: string;
  at: number; // ms
  tag: string;
}

function readJournal(file: string): Event[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" "))
    .map(([what, user, ns, tag]) => ({
      start: what === "start",
      user: user!,
      at: Number(BigInt(ns!) / 1_000_000n),
      tag: tag ?? "",
    }))
    .sort((x, y) => x.at - y.at || Number(x.start) - Number(y.start)); // ends before starts
}

/** The most builds that ran at once among these events. */
function maxConcurrent(events: Event[]): number {
  let now = 0;
  let max = 0;
  for (const e of events) {
    now += e.start ? 1 : -1;
    max = Math.max(max, now);
  }
  return max;
}

/** Slot-seconds per tag between `from` and `to` (ms). */
function slotSeconds(events: Event[], from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  const running = new Map<string, number>();
  let last = from;
  const advance = (t: number) => {
    const upto = Math.min(Math.max(t, from), to);
    for (const [tag, n] of running) out.set(tag, (out.get(tag) ?? 0) + (n * (upto - last)) / 1000);
    last = upto;
  };
  for (const e of events) {
    advance(e.at);
    running.set(e.tag, (running.get(e.tag) ?? 0) + (e.start ? 1 : -1));
  }
  advance(to);
  return out;
}

function withJournal<T>(fn: (journal: string) => Promise<T>): Promise<T> {
  const journal = join("/dev/shm", `rch-journal-${process.pid}-${Math.random().toString(16).slice(2)}`);
  writeFileSync(journal, "");
  Bun.spawnSync(["chmod", "666", journal]);
  return fn(journal).finally(() => rmSync(journal, { force: true }));
}

const fellBack = (o: Outcome) => FALLBACK_RE.test(o.stderr);

describe("a two-slot worker shared by several workstations", () => {
  test("S1: three workstations × four builds: never more than two at once, builds wait for a slot", async () => {
    await withJournal(async (journal) => {
      const stations = await Promise.all(["ws-a", "ws-b", "ws-c"].map((n) => station(n, "w1", 4)));
      const builds = stations.flatMap((st) => st.dirs.map((dir) => journalBuild(st, dir, journal, 2)));
      const done = await Promise.all(builds);
      for (const o of done)
        expect({ code: o.code, timedOut: o.timedOut }).toEqual({ code: 0, timedOut: false });
      const worker = bed.fleet.worker("w1").user;
      const events = readJournal(journal);
      const remote = events.filter((e) => e.user === worker);
      expect(maxConcurrent(remote)).toBe(2);
      const remoteRuns = remote.filter((e) => e.start).length;
      const localRuns = done.filter(fellBack).length;
      console.error(`S1: ${remoteRuns} of 12 builds ran on the worker, ${localRuns} locally`);
      expect(remoteRuns + localRuns).toBe(12);
      // They waited for a slot (slot_wait_ms 60 s) rather than running here: all of them remote.
      expect(remoteRuns).toBe(12);
    });
  });

  test("S3: two workstations with continuous demand each get about half the slot time; max_share = 1 caps each", async () => {
    const measure = async (maxShare: number | undefined, seconds: number) =>
      withJournal(async (journal) => {
        const stations = await Promise.all(
          ["ws-a", "ws-b"].map((n) => station(n, "w1", 3, maxShare ? { maxShare } : {})),
        );
        const stopAt = Date.now() + seconds * 1000;
        // Three build loops per workstation, each starting its next build as soon as one ends.
        const loops = stations.flatMap((st) =>
          st.dirs.map(async (dir) => {
            const outs: Outcome[] = [];
            while (Date.now() < stopAt) outs.push(await journalBuild(st, dir, journal, 2));
            return outs;
          }),
        );
        const outs = (await Promise.all(loops)).flat();
        for (const o of outs) expect(o.code).toBe(0);
        const remote = readJournal(journal).filter((e) => e.user === bed.fleet.worker("w1").user);
        return { remote, outs, stopAt, stations };
      });

    const free = await measure(undefined, 20);
    const starts = free.remote.filter((e) => e.start);
    const from = starts[0]!.at;
    const share = slotSeconds(free.remote, from, free.stopAt);
    const a = share.get("ws-a") ?? 0;
    const b = share.get("ws-b") ?? 0;
    const fa = a / (a + b);
    console.error(
      `S3: ws-a ${a.toFixed(1)} s, ws-b ${b.toFixed(1)} s of slot time (${(fa * 100).toFixed(0)} % / ${((1 - fa) * 100).toFixed(0)} %); ` +
        `${starts.length} remote builds, ${free.outs.filter(fellBack).length} local`,
    );
    expect(maxConcurrent(free.remote)).toBeLessThanOrEqual(2);
    // Roughly half each; on a quiet machine 50–58 % / 42–50 % (README). Under a loaded CPU the
    // workstation that starts first gains a little (66 % seen with both CPUs busy); what must
    // never happen is that one starves.
    expect(fa).toBeGreaterThanOrEqual(0.25);
    expect(fa).toBeLessThanOrEqual(0.75);

    const capped = await measure(1, 8);
    for (const tag of ["ws-a", "ws-b"]) {
      const own = capped.remote.filter((e) => e.tag === tag);
      expect(own.filter((e) => e.start).length).toBeGreaterThan(0);
      expect(maxConcurrent(own)).toBe(1);
    }
    console.error(
      `S3 max_share=1: ${capped.remote.filter((e) => e.start).length} remote builds, most at once per workstation: ` +
        ["ws-a", "ws-b"].map((t) => maxConcurrent(capped.remote.filter((e) => e.tag === t))).join("/"),
    );
  });

  test("S4: rch status --workers on A shows B's build as another workstation's, within one heartbeat", async () => {
    const [a, b] = await Promise.all([station("ws-a", "w1", 1), station("ws-b", "w1", 1)]);
    const rch = await rchBinary();
    const status = (json: boolean) =>
      run([rch, "status", "--workers", ...(json ? ["--format", "json"] : [])], {
        cwd: a.dirs[0]!,
        env: a.sc.env,
        timeoutMs: 20_000,
      });
    expect(
      (await run([rch, "daemon", "start"], { cwd: a.dirs[0]!, env: a.sc.env, timeoutMs: 20_000 })).code,
    ).toBe(0);
    await withJournal(async (journal) => {
      const building = journalBuild(b, b.dirs[0]!, journal, 12);
      // B's build holds its slot once its journal says it started.
      const worker = bed.fleet.worker("w1").user;
      const t0 = Date.now();
      while (!readJournal(journal).some((e) => e.start && e.user === worker) && Date.now() - t0 < 30_000) {
        await Bun.sleep(50);
      }
      const startedAt = Date.now();
      let seen: { slotsExternal?: number; holders?: { name: string; project?: string }[] } | undefined;
      while (Date.now() - startedAt < (HEARTBEAT_S * 1.2 + 2) * 1000) {
        const r = await status(true);
        const w1 = (JSON.parse(r.stdout).workers as { id: string }[]).find(
          (w) => w.id === "w1",
        ) as typeof seen;
        if (w1?.slotsExternal === 1) {
          seen = w1;
          break;
        }
        await Bun.sleep(100);
      }
      const within = Date.now() - startedAt;
      console.error(`S4: A saw B's build ${within} ms after it started (heartbeat ${HEARTBEAT_S} s)`);
      expect(seen).toMatchObject({
        slotsExternal: 1,
        usedSlots: 0,
        holders: [{ name: "ws-b", project: "p0" }],
      });
      const text = await status(false);
      expect(text.stdout).toContain("1/2 (0 mine, 1 other)");
      expect(text.stdout).toContain("w1: other workstations' builds: ws-b (p0");
      expect((await building).code).toBe(0);
    });
  });
});

describe("a worker without flock(1)", () => {
  test("S6: builds run there as before, two workstations are not coordinated, and probe says so", async () => {
    const [a, b] = await Promise.all([station("ws-a", "bare", 1), station("ws-b", "bare", 1)]);
    const rch = await rchBinary();
    const probe = await run([rch, "workers", "probe", "bare", "--format", "json"], {
      cwd: a.dirs[0]!,
      env: a.sc.env,
      timeoutMs: 60_000,
    });
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject([
      { id: "bare", reachable: true, usable: true, flock: false },
    ]);
    const text = await run([rch, "workers", "probe", "bare"], {
      cwd: a.dirs[0]!,
      env: a.sc.env,
      timeoutMs: 60_000,
    });
    expect(text.stdout).toContain("bare: no flock(1) on its PATH");
    // A build there behaves exactly as a local one.
    const sc = a.sc;
    expectSameOutput(sc, await sc.rch(["make", "check"]), await sc.local(["make", "check"]));
    expectRanRemotely(sc, await sc.rch(["make", "check"]), ["calc", "out.txt"]);
    expectSameTree(sc, TREE.make);
    // One slot, two workstations: each counts only its own builds there, as before.
    await withJournal(async (journal) => {
      const done = await Promise.all([a, b].map((st) => journalBuild(st, st.dirs[0]!, journal, 2)));
      for (const o of done) {
        expect(o.code).toBe(0);
        expect(fellBack(o)).toBe(false);
      }
      const remote = readJournal(journal).filter((e) => e.user === bed.fleet.worker("bare").user);
      expect(remote.filter((e) => e.start).length).toBe(2);
    });
    const status = await run([rch, "status", "--workers", "--format", "json"], {
      cwd: a.dirs[0]!,
      env: a.sc.env,
      timeoutMs: 20_000,
    });
    const bare = (JSON.parse(status.stdout).workers as { id: string; sharing?: boolean }[]).find(
      (w) => w.id === "bare",
    );
    expect(bare?.sharing).toBe(false);
  });
});
