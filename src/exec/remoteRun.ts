// Runs the build script on the worker over the master connection and streams its output live:
// stdout → our stdout, stderr → our stderr (markers stripped), remote project paths rewritten
// to the local root. Classifies how it ended; cancel() stops the remote process group.
//
// The session outlives the build: after its exit marker the script holds its slot and the copy's
// lock until we close its stdin (close()), which the caller does once the artifacts are back — so
// no other build can sync over or collect from the copy in between.
//
// The ssh process has no deadline of its own: a build may legitimately run for hours, and the
// agent's tool timeout reaches us as a signal (→ cancel). Everything else about it follows the
// house rules: own process group, TERM → KILL escalation on cancel.
import type { Subprocess } from "bun";
import { describeSshFailure } from "../ssh/master.ts";
import { type SshTarget, sshArgv } from "../ssh/options.ts";
import { run, shellStatus, stopGroup } from "../ssh/proc.ts";
import { remoteCommand } from "../ssh/remote.ts";
import { type NotStartedWhy, notStartedWhy } from "../worker/exits.ts";
import { RUN_PROGRAM } from "../worker/programs.ts";
import { OutputClosedError, writeAll } from "./fdwrite.ts";
import { type EndInfo, type StartInfo, StderrDemux } from "./markers.ts";
import { PathRewriter } from "./rewrite.ts";
import { syncHeader } from "./script.ts";

export type { NotStartedWhy };

export type RemoteOutcome =
  /** holders: with worker-full, the notes of the builds holding the slots (one per slot). */
  | { kind: "not-started"; why: NotStartedWhy; detail: string; holders?: string[] }
  | { kind: "finished"; exitCode: number; start: StartInfo; end: EndInfo | undefined }
  | { kind: "lost"; detail: string; start: StartInfo }
  | { kind: "cancelled"; signal: number };

export interface RemoteRunOptions {
  target: SshTarget;
  nonce: string;
  args: string[];
  localRoot: string;
  /** Output held back at most this long while deciding about a split path (output.max_latency_ms). */
  maxHoldMs: number;
  stdoutFd?: number;
  stderrFd?: number;
  /** A copy of every output chunk as written locally, for agents attached to this job. */
  onOutput?(fd: 1 | 2, chunk: Uint8Array): void;
}

const CANCEL_WAIT_MS = 4000;
/** After the artifacts are back: how long ssh may take to end once its stdin is closed. */
const CLOSE_WAIT_MS = 5000;
/** The explicit remote kill is a courtesy on top of the watchdog: never worth more than this. */
const KILL_SSH_MS = 1000;
/** How long the build may take to react to the forwarded signal before the watchdog escalates. */
const GRACE_MS = 2000;

export class RemoteRun {
  private proc: Subprocess<"pipe", "pipe", "pipe"> | undefined;
  private start: StartInfo | undefined;
  private end: EndInfo | undefined;
  private cancelledBy: number | undefined;
  private readonly pendingStdout: Uint8Array[] = [];
  private done: Promise<RemoteOutcome> | undefined;
  /** Settles with the build's outcome as soon as it is known: at the exit marker, or at the
   * session's end when there is none. */
  private readonly outcome = Promise.withResolvers<RemoteOutcome>();
  /** true at the locked marker; false when the session ended without one. */
  private readonly lockState = Promise.withResolvers<boolean>();
  /** Both output streams have ended and everything in them was written out. */
  private readonly drained = Promise.withResolvers<void>();
  /** locked() sent its "L" line. */
  private lockAsked = false;
  /** The exit marker arrived (the build ended; the session waits for us to close it). */
  private readonly endSeen = Promise.withResolvers<void>();
  /** A write to ssh's stdin failed (ssh is gone): later writes are not attempted. */
  private stdinBroken = false;
  private readonly noSpaceSeen = new NoSpaceWatch();

  constructor(private readonly o: RemoteRunOptions) {}

  /** The start marker arrived: the script got past every pre-build step. */
  get started(): boolean {
    return this.start !== undefined;
  }

  /** The build's output said a disk was full (ENOSPC or EDQUOT: on the worker, where it ran). */
  get sawNoSpace(): boolean {
    return this.noSpaceSeen.seen;
  }

  /**
   * Starts ssh and the remote script, which then waits for its sync header (send()): the session
   * set-up overlaps whatever the caller still has to do locally (scanning the tree).
   */
  begin(): void {
    if (this.done !== undefined) return;
    this.done = this.run();
    this.done.then(
      (o) => {
        this.lockState.resolve(false);
        this.outcome.resolve(o);
      },
      (e: unknown) => {
        this.lockState.resolve(false);
        this.outcome.reject(e);
      },
    );
    // Whoever awaits finish() gets a failure as it is; a run nobody waits for any more (the
    // pipeline gave up on it) must not become an unobserved rejection.
    this.outcome.promise.catch(() => {});
  }

  /**
   * Asks the script to take its slot and the copy's lock now (the "L" line) and resolves true once
   * it holds them (or found no flock to take them with), false when the session ended first (no slot, copy busy, ssh failed: finish()
   * says which). Nothing may rsync into the copy before this is true.
   */
  locked(): Promise<boolean> {
    this.begin();
    if (!this.lockAsked) {
      this.lockAsked = true;
      this.send(syncHeader("lock"));
    }
    return this.lockState.promise;
  }

  /**
   * Writes to the remote stdin (the sync header, an inline tar); the pipe then stays open. A
   * write to an ssh that died or never connected (refused, timed out, reset) fails with EPIPE —
   * at once or when the buffered bytes are flushed — and that is not an error of its own: run()
   * reports how ssh ended, with ssh's own words.
   */
  send(data: Uint8Array): void {
    if (!this.proc || data.length === 0 || this.stdinBroken) return;
    const broken = () => {
      this.stdinBroken = true;
    };
    try {
      this.proc.stdin.write(data);
      const flushed = this.proc.stdin.flush();
      if (flushed instanceof Promise) flushed.catch(broken);
    } catch {
      broken();
    }
  }

  /** How the build ended: at its exit marker, while the session (and its locks) stay open until
   * close(); or how the session ended, when the build never got that far. */
  finish(): Promise<RemoteOutcome> {
    this.begin();
    return this.outcome.promise;
  }

  /**
   * Ends the session: closes its stdin (the script releases its locks and exits; its watchdog
   * stops whatever the build left running) and waits for ssh to finish writing the build's last
   * output. Bounded: a session that does not end is stopped.
   */
  async close(): Promise<void> {
    const proc = this.proc;
    if (!proc || this.done === undefined) return;
    try {
      const ended = proc.stdin.end();
      if (ended instanceof Promise) ended.catch(() => {});
    } catch {
      // already closed
    }
    // The script closed its stdout and stderr after the exit marker: once what the build wrote
    // has drained, everything is here. The session's own end (the script exiting, its locks
    // released) needs nothing more from us, so the process is not waited for (~20 ms here).
    const timer = setTimeout(() => void stopGroup(proc, 1000), CLOSE_WAIT_MS);
    try {
      await Promise.race([this.drained.promise, this.done.catch(() => undefined)]);
    } finally {
      clearTimeout(timer);
      proc.unref();
    }
  }

  private async run(): Promise<RemoteOutcome> {
    const o = this.o;
    const sink = (fd: 1 | 2, target: number) => (c: Uint8Array) => {
      writeAll(target, c);
      this.noSpaceSeen.scan(c);
      o.onOutput?.(fd, c);
    };
    const out = new PathRewriter(sink(1, o.stdoutFd ?? 1), o.maxHoldMs);
    const err = new PathRewriter(sink(2, o.stderrFd ?? 2), o.maxHoldMs);
    const demux = new StderrDemux(o.nonce, (c) => err.write(c), {
      onStart: (info) => {
        this.start = info;
        out.setPairs([
          [info.physicalDir, o.localRoot],
          [info.dir, o.localRoot],
        ]);
        err.setPairs([
          [info.physicalDir, o.localRoot],
          [info.dir, o.localRoot],
        ]);
        for (const c of this.pendingStdout.splice(0)) out.write(c);
      },
      onLocked: () => this.lockState.resolve(true),
      onEnd: (info) => {
        this.end = info;
        this.endSeen.resolve();
        if (this.cancelledBy === undefined && this.start) {
          this.outcome.resolve({ kind: "finished", exitCode: info.exitCode, start: this.start, end: info });
        }
      },
    });
    const proc = Bun.spawn([...sshArgv(o.target), remoteCommand(RUN_PROGRAM, o.args)], {
      stdin: "pipe", // the sync header, maybe a tar, then held open: the remote watchdog's lifeline
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
    this.proc = proc;
    const pump = async (stream: ReadableStream<Uint8Array>, onChunk: (c: Uint8Array) => void) => {
      try {
        for await (const chunk of stream) onChunk(chunk);
      } catch (e) {
        if (e instanceof OutputClosedError) void this.cancel(13);
        else throw e;
      }
    };
    await Promise.all([
      pump(proc.stdout, (c) => (this.start ? out.write(c) : this.pendingStdout.push(c))),
      pump(proc.stderr, (c) => demux.write(c)),
    ]);
    try {
      demux.finish();
      out.flush();
      err.flush();
    } finally {
      this.drained.resolve();
    }
    await proc.exited;
    return this.classify(shellStatus(proc), demux.preamble);
  }

  private classify(code: number, preamble: string): RemoteOutcome {
    if (this.cancelledBy !== undefined) return { kind: "cancelled", signal: this.cancelledBy };
    const start = this.start;
    if (start) {
      if (this.end) return { kind: "finished", exitCode: this.end.exitCode, start, end: this.end };
      if (code === 255) return { kind: "lost", detail: describeSshFailure(preamble, code), start };
      return { kind: "finished", exitCode: code, start, end: undefined };
    }
    const why = notStartedWhy(code);
    if (why === "worker-full") {
      return {
        kind: "not-started",
        why,
        detail: describeHolders(preamble, this.o.nonce),
        holders: heldNotes(preamble, this.o.nonce),
      };
    }
    const detail =
      why === "ssh-failed"
        ? describeSshFailure(preamble, code)
        : why === "same-path-failed"
          ? tail(preamble).replace(/^: (same path: )?/, "") || "the namespace set-up failed"
          : `remote shell exited ${code}${tail(preamble)}`;
    return { kind: "not-started", why, detail };
  }

  /**
   * Stops the remote build: the signal we got goes to the remote process group (so a Ctrl-C
   * looks like a Ctrl-C to the build), then the watchdog's lifeline is cut, which TERMs and
   * KILLs whatever is left. Waits up to 5 s for ssh to finish.
   */
  async cancel(signal: number): Promise<void> {
    // Called from signal handlers and stream pumps that cannot wait for it: never rejects.
    await this.stop(signal).catch(() => {});
  }

  private async stop(signal: number): Promise<void> {
    if (this.cancelledBy !== undefined || !this.proc) return;
    this.cancelledBy = signal;
    const proc = this.proc;
    // Its timer is cleared once ssh exits: a pending one would keep rch alive after its work.
    const exitedWithin = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        void proc.exited.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    const pgid = this.start?.pgid;
    // The same signal to the remote process group, as a local Ctrl-C would deliver it. It runs
    // alongside the wait, bounded: when the master went down with our process group (timeout(1)
    // signals the whole group) a fresh connection must not hold up the exit — closing stdin
    // below makes the worker's watchdog end the build anyway.
    const name = SIGNAL_NAMES[signal] ?? "TERM";
    const killer =
      pgid && pgid > 1
        ? run([...sshArgv(this.o.target), `kill -s ${name} -- -${pgid}`], { timeoutMs: KILL_SSH_MS })
        : undefined;
    // Let a running build react as it would locally; one that has not started is only waiting
    // for its sync header, and the closed stdin below ends it at once. A build that has ended
    // (its exit marker came) leaves a session that waits for exactly that close.
    if (this.start && !this.end) await Promise.race([exitedWithin(GRACE_MS), this.endSeen.promise]);
    let done = proc.exitCode !== null || proc.signalCode !== null;
    try {
      const ended = proc.stdin.end();
      if (ended instanceof Promise) ended.catch(() => {}); // EPIPE: ssh is gone, as intended
    } catch {
      // already closed
    }
    if (!done) done = await exitedWithin(CANCEL_WAIT_MS - GRACE_MS);
    if (!done) await stopGroup(proc, 1000);
    await killer;
  }
}

const SIGNAL_NAMES: Record<number, string> = { 1: "HUP", 2: "INT", 13: "PIPE", 15: "TERM" };

function tail(text: string): string {
  const last = text.trim().split("\n").at(-1)?.trim();
  return last ? `: ${last}` : "";
}

/** The notes of a full worker's held lines (run.sh), one per held slot. */
export function heldNotes(preamble: string, nonce: string): string[] {
  const tag = `\x1erch-held-${nonce} `;
  const notes: string[] = [];
  for (const line of preamble.split("\n")) {
    const at = line.indexOf(tag);
    if (at !== -1) notes.push(line.slice(at + tag.length).trimEnd());
  }
  return notes;
}

/** "every slot is held (2 by ws-b, 1 by ws-c)", from the script's held lines (run.sh). */
export function describeHolders(preamble: string, nonce: string): string {
  const counts = new Map<string, number>();
  for (const note of heldNotes(preamble, nonce)) {
    const name = /(?:^|\s)name=(\S+)/.exec(note)?.[1] ?? "unknown";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const who = [...counts].map(([n, k]) => `${k} by ${n}`).join(", ");
  return who ? `every slot is held (${who})` : "every slot is held";
}

/** Watches output for the strerror texts of ENOSPC and EDQUOT, across chunk boundaries. */
class NoSpaceWatch {
  private static readonly texts = ["No space left on device", "Disk quota exceeded"];
  private tail = "";
  seen = false;

  scan(chunk: Uint8Array): void {
    if (this.seen) return;
    const text = this.tail + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    this.seen = NoSpaceWatch.texts.some((t) => text.includes(t));
    this.tail = text.slice(-32);
  }
}
