// Single-flight dedup through a real daemon: identical concurrent jobs run once on a real bed
// worker; followers receive the leader's output from the start and its exit code. The leader
// here is driven through the client API (it runs its build with ssh itself, the way `rch exec`
// does), so this suite does not depend on the exec pipeline.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { AttachAbandonedError } from "../../src/client/attach.ts";
import type { Lease, Selection } from "../../src/protocol/selector.ts";
import { type Fleet, sshArgs, startFleet } from "../bed/fleet.ts";
import { run } from "../bed/proc.ts";
import { cleanUp } from "../support/cleanup.ts";
import {
  admin,
  type DaemonProc,
  job,
  makeEnv,
  type RchEnv,
  selector,
  startDaemon,
  waitFor,
} from "./helpers.ts";

// A fleet, a daemon, real ssh builds: seconds each here, several times that on a slow machine.
setDefaultTimeout(60_000);

let fleet: Fleet;
let rch: RchEnv;
let daemon: DaemonProc;

beforeAll(async () => {
  fleet = await startFleet({ workers: 2, toolchains: ["cc"] });
  rch = makeEnv(fleet);
  rch.writeWorkers(fleet.workersToml());
  daemon = await startDaemon(rch);
});

afterAll(() =>
  cleanUp(
    () => daemon?.stop(),
    () => fleet?.stop(),
    () => rch?.cleanup(),
  ),
);

class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * The build: prints to both streams over ~0.6 s, counts its executions on the worker, exits 3.
 * Gated, it stops after its first lines until the test opens the gate (openGate): whatever the
 * machine's speed, the test then knows the build is still running while it acts.
 */
function buildScript(tag: string, gated = false): string {
  return [
    `echo run >> ~/runs-${tag}`,
    'echo "out 1"; echo "err 1" >&2',
    ...(gated
      ? [`n=0; while [ ! -e ~/gate-${tag} ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done`]
      : []),
    'for i in 2 3 4 5 6; do sleep 0.1; echo "out $i"; echo "err $i" >&2; done',
    "printf 'no newline at the end'",
    "exit 3",
  ].join("; ");
}

/** Lets a gated build of `tag` on `workerId` go on (the worker's home is on this machine). */
function openGate(workerId: string, tag: string): void {
  writeFileSync(join(fleet.worker(workerId).home, `gate-${tag}`), "");
}

/** Runs the leader's build remotely over ssh, streaming into the lease like rch exec does.
 * `seen` gets the stdout streamed so far, after each chunk. */
async function lead(
  lease: Lease,
  tag: string,
  opts: { gated?: boolean; seen?: (stdout: string) => void } = {},
): Promise<{ out: string; err: string; code: number }> {
  const w = fleet.worker(lease.worker.id);
  const p = Bun.spawn(["ssh", ...sshArgs(w, { mux: true }), buildScript(tag, opts.gated)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const pump = async (s: ReadableStream<Uint8Array>, fd: 1 | 2) => {
    const parts: Uint8Array[] = [];
    for await (const c of s) {
      parts.push(c);
      lease.onOutput?.(fd, c);
      if (fd === 1) opts.seen?.(Buffer.concat(parts).toString("utf8"));
    }
    return Buffer.concat(parts).toString("utf8");
  };
  const t0 = performance.now();
  const [out, err, code] = await Promise.all([pump(p.stdout, 1), pump(p.stderr, 2), p.exited]);
  await lease.release({ kind: "remote", exitCode: code, remoteMs: performance.now() - t0 });
  return { out, err, code };
}

async function runs(workerId: string, tag: string): Promise<number> {
  const r = await run([
    "ssh",
    ...sshArgs(fleet.worker(workerId), { mux: true }),
    `cat ~/runs-${tag} 2>/dev/null | wc -l`,
  ]);
  return Number(r.stdout.trim());
}

async function follow(s: Selection) {
  if (s.kind !== "attach") throw new Error(`expected attach, got ${s.kind}`);
  const out = new Sink();
  const err = new Sink();
  const code = await s.attachment.follow(out, err);
  return { out: out.text, err: err.text, code };
}

test("8 identical concurrent jobs: 1 remote execution, 8 identical outputs and exit codes", async () => {
  const spec = job({
    projectRoot: "/p/dedup",
    argv: ["make", "-j2"],
    env: { CC: "gcc" },
    sourceState: "tree-1",
  });
  const hitsBefore = (await admin(rch).status(0)).stats.dedupHits; // the daemon is shared by the file
  const selections = await Promise.all(Array.from({ length: 8 }, () => selector(rch).select(spec)));
  const leaders = selections.filter((s) => s.kind === "worker");
  const followers = selections.filter((s) => s.kind === "attach");
  expect(leaders).toHaveLength(1);
  expect(followers).toHaveLength(7);
  const leader = leaders[0]!;
  if (leader.kind !== "worker") return;
  const [mine, ...theirs] = await Promise.all([lead(leader.lease, "a"), ...followers.map(follow)]);
  expect(mine.code).toBe(3);
  expect(mine.out).toContain("out 6\nno newline at the end");
  for (const t of theirs) expect(t).toEqual(mine);
  expect(await runs(leader.lease.worker.id, "a")).toBe(1);
  const s = await admin(rch).status(5);
  expect(s.stats.dedupHits - hitsBefore).toBe(7);
  expect(s.jobs.recent[0]).toMatchObject({ project: "/p/dedup", state: "remote", exitCode: 3, followers: 7 });
});

test("a follower arriving mid-build gets the output from the start; a different env runs separately", async () => {
  const spec = job({ projectRoot: "/p/late", argv: ["make"], env: { A: "1" }, sourceState: "t" });
  const first = await selector(rch).select(spec);
  expect(first.kind).toBe("worker");
  if (first.kind !== "worker") return;
  let sent = "";
  const leading = lead(first.lease, "b", { gated: true, seen: (out) => (sent = out) });
  try {
    // Part of the output is out already, and the build waits at its gate until the follower is in.
    await waitFor("the leader's first output", () => sent.startsWith("out 1\n"), 20_000);
    const late = follow(await selector(rch).select(spec));
    const other = await selector(rch).select({ ...spec, env: { A: "2" } });
    expect(other.kind).toBe("worker"); // differs in env: its own build
    if (other.kind === "worker") await other.lease.release({ kind: "remote", exitCode: 0, remoteMs: 1 });
    openGate(first.lease.worker.id, "b");
    const [mine, theirs] = await Promise.all([leading, late]);
    expect(theirs).toEqual(mine);
    expect(theirs.out.startsWith("out 1\nout 2\n")).toBe(true);
  } finally {
    openGate(first.lease.worker.id, "b"); // a failed test leaves no build waiting
  }
});

test("a leader that dies without releasing sends its followers back to local, without hanging", async () => {
  const spec = job({ projectRoot: "/p/dies", sourceState: "x" });
  const leaderSel = selector(rch);
  const leader = await leaderSel.select(spec);
  expect(leader.kind).toBe("worker");
  if (leader.kind !== "worker") return;
  leader.lease.onOutput?.(1, new TextEncoder().encode("partial\n"));
  const attached = await selector(rch).select(spec);
  if (attached.kind !== "attach") throw new Error(`expected attach, got ${attached.kind}`);
  const out = new Sink();
  const following = attached.attachment.follow(out, new Sink()).catch((e: unknown) => e);
  await waitFor("the follower to stream the leader's output", () => out.text === "partial\n");
  const t0 = Date.now();
  leaderSel.close(); // the leader's process is gone: its connection closes
  const err = await following;
  expect(err).toBeInstanceOf(AttachAbandonedError);
  expect((err as Error).message).toContain("client disconnected");
  // At the disconnect, not when the lease would have expired (30 s without renewal).
  expect(Date.now() - t0).toBeLessThan(10_000);
  await waitFor("slot back", async () =>
    (await admin(rch).status(0)).workers.every((w) => w.usedSlots === 0),
  );
});

test("a leader that falls back to local does not hand its exit code to followers", async () => {
  const spec = job({ projectRoot: "/p/fellback", sourceState: "y" });
  const leader = await selector(rch).select(spec);
  if (leader.kind !== "worker") throw new Error("expected a lease");
  const following = follow(await selector(rch).select(spec)).catch((e: unknown) => e);
  await leader.lease.release({ kind: "failed-before-start", reason: "rsync failed" });
  const err = await following;
  expect(err).toBeInstanceOf(AttachAbandonedError);
  expect((err as Error).message).toContain("rsync failed");
  // Once the leader is done, an identical job is a new leader, not a follower.
  const again = await selector(rch).select(spec);
  expect(again.kind).toBe("worker");
  if (again.kind === "worker") await again.lease.release({ kind: "remote", exitCode: 0, remoteMs: 1 });
});

test("a leader cancelled by a signal: its followers build for themselves, and no timing is recorded", async () => {
  const spec = job({ projectRoot: "/p/cancelled", kind: "make cancel", sourceState: "z" });
  const leader = await selector(rch).select(spec);
  if (leader.kind !== "worker") throw new Error("expected a lease");
  const following = follow(await selector(rch).select(spec)).catch((e: unknown) => e);
  await leader.lease.release({ kind: "cancelled", signal: 2 });
  const err = await following;
  expect(err).toBeInstanceOf(AttachAbandonedError); // not exit 130: that agent was not interrupted
  expect((err as Error).message).toContain("cancelled (signal 2)");
  expect(await selector(rch).get("/p/cancelled", "make cancel")).toEqual({});
  const recent = (await admin(rch).status(50)).jobs.recent.find((j) => j.project === "/p/cancelled");
  expect(recent).toMatchObject({ state: "abandoned", reason: "cancelled (signal 2)" });
});

// How long 8 identical jobs take next to one is a benchmark (bench/daemon.bench.ts dedup, target
// ≤ 1.2×). Here: each job starts its build the moment it is granted, as rch exec does, and still
// only one runs; the followers end with the leader, not at some timeout.
test("8 identical jobs that race their own build: one runs, seven follow and finish with it", async () => {
  const eight = job({ projectRoot: "/p/wall", sourceState: "w2" });
  let leaderWorker: string | undefined;
  const results = Promise.all(
    Array.from({ length: 8 }, async () => {
      const s = await selector(rch).select(eight);
      if (s.kind !== "worker") return follow(s);
      leaderWorker = s.lease.worker.id;
      return lead(s.lease, "d", { gated: true });
    }),
  );
  const ops = admin(rch);
  try {
    // The leader's build waits at its gate until all seven have joined, however slow this machine.
    await waitFor(
      "seven followers",
      async () => (await ops.status(0)).jobs.active.some((j) => j.project === "/p/wall" && j.followers === 7),
      20_000,
    );
    const t0 = performance.now();
    openGate(leaderWorker!, "d");
    const all = await results;
    expect(performance.now() - t0).toBeLessThan(20_000); // the rest of the build is 0.5 s
    for (const r of all) expect(r).toEqual(all[0]!);
    expect(all[0]!.code).toBe(3);
    expect(await runs(leaderWorker!, "d")).toBe(1);
  } finally {
    if (leaderWorker) openGate(leaderWorker, "d");
    ops.close();
  }
});

test("claim after the scan: identical source follows, a different source tree builds on its own", async () => {
  // rch exec selects before it has scanned the tree (sourceState ""), then claims with the
  // fingerprint: only an identical fingerprint may share a result.
  const [a, b, c] = [selector(rch), selector(rch), selector(rch)];
  try {
    const spec = job({ projectRoot: "/p/claim", argv: ["make", "claim"], sourceState: "" });
    const sa = await a.select(spec);
    const sb = await b.select(spec);
    const sc = await c.select(spec);
    // Nothing can be matched before the source state is known: three leases.
    for (const s of [sa, sb, sc]) expect(s.kind).toBe("worker");
    const [la, lb, lc] = [sa, sb, sc].map((s) => (s as Extract<Selection, { kind: "worker" }>).lease);
    expect(await la!.claim!("tree-1")).toEqual({ kind: "lead" });
    const follower = await lb!.claim!("tree-1"); // same tree as a: follows it
    if (follower.kind !== "follow") throw new Error(`expected to follow: ${JSON.stringify(follower)}`);
    // Edited tree: leads its own build — at once on a free copy, or once a's copy is free.
    const cClaim = lc!.claim!("tree-2");
    la!.onOutput?.(1, Buffer.from("from a\n"));
    const out = new Sink();
    const followed = follower.attachment.follow(out, new Sink());
    await la!.release({ kind: "remote", exitCode: 7, remoteMs: 5 });
    expect(await followed).toBe(7);
    expect(out.text).toBe("from a\n");
    expect(await cClaim).toEqual({ kind: "lead" });
    await lc!.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
    // b gave its slot back when it attached; releasing it now is a no-op, not an error.
    await lb!.release({ kind: "remote", exitCode: 0, remoteMs: 5 });
    const status = await admin(rch).status();
    expect(status.jobs.active.filter((j) => j.project === "/p/claim")).toHaveLength(0);
  } finally {
    for (const s of [a, b, c]) s.close();
  }
});
