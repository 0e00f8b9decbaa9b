// Runs the worker program (the exact text rch sends) on this machine, with no ssh in between:
// `<shell> -c <program> rch <args>`, HOME a scratch dir, stdin a pipe the test writes the sync
// header into and then holds open (the lifeline), stderr split by rch's own marker parser. Each
// run is its own process group (as an ssh session is) with a deadline that kills the group.
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type EndInfo, type StartInfo, StderrDemux } from "../../src/exec/markers.ts";
import { buildArgs, type ScriptArgs } from "../../src/exec/script.ts";
import { RUN_PROGRAM } from "../../src/worker/programs.ts";
import { processes, waitEmpty, waitFor } from "../exec-scenarios/proc.ts";

/** The shells the program must run under: Debian's sh, and the sh of most other distributions. */
export const SHELLS = ["dash", "bash"] as const;
export type Shell = (typeof SHELLS)[number];

/** What rch's side would hold as the local project root: cut out of words, joined back remotely. */
export const LOCAL_ROOT = "/local/proj";
export const NONCE = "0badc0de";
const DEADLINE_MS = 30_000;

/** A scratch HOME with the project copy at $HOME/projects/p (passed as a relative path). */
export class Home {
  readonly dir = realpathSync(mkdtempSync("/tmp/rchwk-"));
  readonly rel = "projects/p";
  readonly copy = join(this.dir, this.rel);

  constructor() {
    mkdirSync(this.copy, { recursive: true });
  }

  /** A file next to the copy (`.rch-sync`, `.rch-new-<nonce>`…). */
  beside(suffix: string): string {
    return `${this.copy}${suffix}`;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Finished {
  code: number;
  stdout: string;
  /** stderr without the two markers and without what came before the start marker. */
  stderr: string;
  preamble: string;
  start: StartInfo | undefined;
  end: EndInfo | undefined;
}

export interface Running {
  pid: number;
  send(data: Uint8Array | string): void;
  /** EOF on the program's stdin: what the worker sees when rch closes or loses the session. */
  closeStdin(): void;
  started(): boolean;
  /** The locked marker: true (flock), false (no flock on the worker), undefined (not yet). */
  locked(): boolean | undefined;
  ended(): boolean;
  waitFor(ok: () => boolean, ms: number): Promise<boolean>;
  done: Promise<Finished>;
}

export type RunArgs = Partial<ScriptArgs> & Pick<ScriptArgs, "argv">;

export function argsFor(home: Home, a: RunArgs): string[] {
  return buildArgs({
    nonce: NONCE,
    remoteDir: home.rel,
    relCwd: ".",
    bunDir: "",
    bunHash: "",
    trackInTree: false,
    outputDirs: [],
    fixDirs: [],
    localRoot: LOCAL_ROOT,
    lockMode: "",
    lockWaitS: 10,
    slots: 0,
    who: "client=0123456789abcdef name=test project=p since=0",
    stampNote: "client=0123456789abcdef name=test project=/local/proj",
    samePath: false,
    env: { plain: [], rooted: [] },
    ...a,
  });
}

/** holdAfterEnd: keep stdin open after the exit marker (rch closes it only once the artifacts are
 * back; meanwhile the program holds its locks) until the test calls closeStdin(). */
export function startProgram(
  shell: Shell,
  home: Home,
  args: string[],
  path = "/usr/bin:/bin",
  holdAfterEnd = false,
  /** Runs the program through this command (e.g. setpriv as another user). */
  wrap: readonly string[] = [],
): Running {
  const proc = Bun.spawn([...wrap, shell, "-c", RUN_PROGRAM, "rch", ...args], {
    cwd: home.dir,
    env: { HOME: home.dir, PATH: path, LANG: "C" },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // its own process group: the watchdog signals that group, never the test runner
  });
  const killGroup = () => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const deadline = setTimeout(killGroup, DEADLINE_MS);
  let start: StartInfo | undefined;
  let end: EndInfo | undefined;
  const rest: Buffer[] = [];
  let lockedWith: boolean | undefined;
  const demux = new StderrDemux(NONCE, (c) => rest.push(Buffer.from(c)), {
    onLocked: (flock) => {
      lockedWith = flock;
    },
    onStart: (s) => {
      start = s;
    },
    onEnd: (e) => {
      end = e;
      // As rch does once the artifacts are back: the program holds its locks until then.
      if (autoClose) closeStdin();
    },
  });
  const autoClose = !holdAfterEnd;
  let stdinOpen = true;
  const closeStdin = () => {
    if (!stdinOpen) return;
    stdinOpen = false;
    try {
      proc.stdin.end();
    } catch {
      // the program already exited
    }
  };
  const done = (async (): Promise<Finished> => {
    const pump = async () => {
      for await (const chunk of proc.stderr) demux.write(chunk);
      demux.finish();
    };
    const [stdout, , code] = await Promise.all([new Response(proc.stdout).text(), pump(), proc.exited]);
    // The watchdog outlives the program until its lifeline ends, as it does when ssh closes the
    // session; then it takes its whole group down (at most ~2 s later).
    closeStdin();
    const left = await waitEmpty(() => groupMembers(proc.pid), 10_000);
    clearTimeout(deadline);
    if (left.length) {
      killGroup();
      throw new Error(`processes of the run outlived it: ${left.join(", ")}`);
    }
    return { code, stdout, stderr: Buffer.concat(rest).toString(), preamble: demux.preamble, start, end };
  })();
  return {
    pid: proc.pid,
    send(data) {
      proc.stdin.write(data);
      void proc.stdin.flush();
    },
    closeStdin,
    started: () => start !== undefined,
    locked: () => lockedWith,
    ended: () => end !== undefined,
    waitFor: (ok, ms) => waitFor(ok, ms),
    done,
  };
}

/** Live processes of a process group (pid and command line). */
export function groupMembers(pgid: number): string[] {
  return processes((p) => p.pgid === pgid).map((p) => `${p.pid} ${p.cmdline}`);
}

/** Starts the program, writes its stdin (header, maybe a tar) and waits for it to end, holding
 * stdin open meanwhile as rch does (EOF would set the watchdog off). */
export function runProgram(
  shell: Shell,
  home: Home,
  args: string[],
  stdin: (Uint8Array | string)[],
  path?: string,
  wrap: readonly string[] = [],
): Promise<Finished> {
  const r = startProgram(shell, home, args, path, false, wrap);
  for (const d of stdin) r.send(d);
  return r.done;
}
