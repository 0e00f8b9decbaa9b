// One scenario = two copies of a fixture (one built through `rch exec`, one built locally for
// reference) plus an isolated rch environment: its own HOME, config, cache and state dirs, and a
// workers.toml naming the bed's workers. Nothing reads the real user's ~/.config/rch.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Fleet } from "../bed/fleet.ts";
import { rustToolchainDir } from "../bed/preflight.ts";
import { type Outcome, processes, type Running, run, signalPid, start } from "./proc.ts";
import { REPO, rchBinary } from "./rchbin.ts";

/** "generated": an empty dir that the scenario's `populate` fills (a project written by the test). */
export type FixtureName = "cargo-ws" | "make-c" | "cmake-ninja" | "meson-c" | "bun-tests" | "generated";

const FIXTURES = join(REPO, "test", "fixtures");

export interface ScenarioOptions {
  fixture: FixtureName;
  /** Workers for workers.toml; without a fleet (or with workers: []) no workers.toml is written. */
  fleet?: Fleet;
  /** Worker ids that are enabled (default: all of the fleet); the others get enabled = false. */
  workers?: string[];
  /** Writes the project into each copy (after the fixture's files, before git and setup). */
  populate?: (dir: string) => void;
  /** Make each copy a git repository (the project root is then the git root). */
  git?: boolean;
  /** Prepares each copy before any run, like an agent would have (cmake configure, bun install). */
  setup?: string[][];
  /** Extra environment for every run (rch and local alike). */
  env?: Record<string, string>;
}

export interface RunOptions {
  /** Working directory relative to the project copy. */
  cwd?: string;
  timeoutMs?: number;
  /** Extra environment for this run only. */
  env?: Record<string, string>;
}

/** The project root is the cargo workspace / cwd; the fixture files named *.fxcase.js become
 * *.test.js only in the copies, so the repo's own `bun test` never picks them up. */
function copyFixture(name: FixtureName, dst: string): void {
  if (name === "generated") {
    mkdirSync(dst, { recursive: true });
    return;
  }
  cpSync(join(FIXTURES, name), dst, { recursive: true });
  const rename = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) rename(path);
      else if (entry.name.endsWith(".fxcase.js")) renameSync(path, path.replace(/\.fxcase\.js$/, ".test.js"));
    }
  };
  rename(dst);
}

/** Every scratch root made by this process: afterAll kills what still runs from them. */
const liveRoots = new Set<string>();

let rustBin: Promise<string> | undefined;

export class Scenario {
  /** Project copy that `rch exec` runs in. */
  readonly rchDir: string;
  /** Reference copy where the same command runs directly. */
  readonly localDir: string;
  /** Marker file in both copies: finds this scenario's copy in a worker's remote_root. */
  readonly token: string;
  /** World-writable file the fixtures append the running user (or uid) to: who ran it, how often. */
  readonly runlog: string;
  /** A root-owned directory outside the project, writable only by root (not by the workers). */
  readonly outside: string;
  /** Where runlog and outside live: under /dev/shm, which rch counts as a path every machine has.
   * A build naming another path outside its project runs locally, and these two are instruments
   * of the test (the bed's workers share this machine), not things a build needs. */
  readonly shm: string;
  readonly env: Record<string, string>;
  readonly cfgDir: string;

  private constructor(
    readonly root: string,
    shm: string,
    readonly opts: ScenarioOptions,
    env: Record<string, string>,
  ) {
    this.token = `.scn-${randomBytes(6).toString("hex")}`;
    this.rchDir = join(root, "r", opts.fixture);
    this.localDir = join(root, "l", opts.fixture);
    this.shm = shm;
    this.runlog = join(shm, "shared", "runs.log");
    this.outside = join(shm, "outside");
    this.cfgDir = join(root, "cfg");
    this.env = env;
  }

  static async create(opts: ScenarioOptions): Promise<Scenario> {
    const root = mkdtempSync("/tmp/rchscn-");
    const shm = mkdtempSync("/dev/shm/rchscn-");
    liveRoots.add(root);
    liveRoots.add(shm);
    // The workers' users cannot read the local copies, as a real worker cannot: a local path that
    // leaks into a remote build fails there instead of quietly reading this machine's files.
    chmodSync(root, 0o700);
    chmodSync(shm, 0o755); // the workers' users must reach shared/runs.log
    rustBin ??= rustToolchainDir().then((d) => join(d, "bin"));
    const home = join(root, "home");
    const env: Record<string, string> = {
      // The rustup proxy needs RUSTUP_HOME under /root; the toolchain's own bin dir does not.
      PATH: [await rustBin, join(REPO, "node_modules", ".bin"), "/usr/local/bin", "/usr/bin", "/bin"].join(
        ":",
      ),
      HOME: home,
      LANG: "C.UTF-8", // what agents run with; gcc's quotes depend on it
      RCH_CONFIG_DIR: join(root, "cfg"),
      RCH_CACHE_DIR: join(root, "cache"),
      RCH_STATE_DIR: join(root, "state"),
      RCH_MIN_LOCAL_TIME_MS: "0", // else the timing gate keeps these short builds local
      ...opts.env,
    };
    const sc = new Scenario(root, shm, opts, env);
    for (const d of [home, sc.cfgDir, env.RCH_CACHE_DIR!, env.RCH_STATE_DIR!, sc.outside]) {
      mkdirSync(d, { recursive: true });
    }
    mkdirSync(join(shm, "shared"), { mode: 0o777 });
    chmodSync(join(shm, "shared"), 0o777);
    writeFileSync(sc.runlog, "");
    chmodSync(sc.runlog, 0o666);
    sc.writeConfig();
    for (const dir of [sc.rchDir, sc.localDir]) {
      copyFixture(opts.fixture, dir);
      writeFileSync(join(dir, sc.token), "scenario marker\n");
      opts.populate?.(dir);
      if (opts.git)
        await sc.mustRun(dir, [
          "sh",
          "-c",
          "git init -q && git add -A && git -c user.name=rch-test -c user.email=rch-test@localhost commit -qm fixture",
        ]);
      for (const argv of opts.setup ?? []) await sc.mustRun(dir, argv);
    }
    return sc;
  }

  private writeConfig(): void {
    const { fleet } = this.opts;
    // Both gates off: these builds take well under a second, and loopback is no faster than local.
    writeFileSync(
      join(this.cfgDir, "config.toml"),
      "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n",
    );
    if (!fleet || this.opts.workers?.length === 0) return;
    const enabled = new Set(this.opts.workers ?? fleet.workers.map((w) => w.id));
    writeFileSync(
      join(this.cfgDir, "workers.toml"),
      fleet.workersToml((w) => (enabled.has(w.id) ? {} : { enabled: false })),
    );
    // rch passes this to ssh with -F (RCH_SSH_CONFIG): the bed's host keys, with strict checking,
    // for the workers by alias and by address (ssh ignores $HOME, so ~/.ssh would be /root's).
    const byAddress = [
      "Host 127.0.0.1",
      `  UserKnownHostsFile ${fleet.knownHostsFile}`,
      "  StrictHostKeyChecking yes",
      `  IdentityFile ${fleet.identityFile}`,
      "  IdentitiesOnly yes",
      "  BatchMode yes",
      "  LogLevel ERROR",
      "",
    ].join("\n");
    const sshConfig = join(this.cfgDir, "ssh_config");
    writeFileSync(sshConfig, `${readFileSync(fleet.sshConfigFile, "utf8")}\n${byAddress}`);
    this.env.RCH_SSH_CONFIG = sshConfig;
  }

  private async mustRun(cwd: string, argv: string[]): Promise<void> {
    const r = await run(argv, { cwd, env: this.env, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`setup \`${argv.join(" ")}\` in ${cwd} exited ${r.code}:\n${r.stderr}`);
  }

  private spawnOpts(dir: string, o: RunOptions) {
    return {
      cwd: o.cwd ? join(dir, o.cwd) : dir,
      env: { ...this.env, ...o.env },
      timeoutMs: o.timeoutMs ?? 90_000,
    };
  }

  /** `rch exec -- argv` in the rch copy, started (for signal scenarios). */
  async startRch(argv: string[], o: RunOptions = {}): Promise<Running> {
    const rch = await rchBinary();
    return start([rch, "exec", "--", ...argv], this.spawnOpts(this.rchDir, o));
  }

  /** Any argv in the rch copy with the scenario's env (e.g. `timeout 2 <rch> exec -- …`). */
  startRaw(argv: string[], o: RunOptions = {}): Running {
    return start(argv, this.spawnOpts(this.rchDir, o));
  }

  async rch(argv: string[], o: RunOptions = {}): Promise<Outcome> {
    return (await this.startRch(argv, o)).done;
  }

  /** argv run directly in `dir` (default: the reference copy). Leading NAME=value words are
   * applied as the shell would (through env(1), which execs). */
  local(argv: string[], o: RunOptions = {}, dir = this.localDir): Promise<Outcome> {
    return run(["env", ...argv], this.spawnOpts(dir, o));
  }

  /** The same plain command (not through rch) in both copies, e.g. the binary the build made. */
  async inBoth(argv: string[], o: RunOptions = {}): Promise<{ rch: Outcome; local: Outcome }> {
    const [r, l] = await Promise.all([this.local(argv, o, this.rchDir), this.local(argv, o)]);
    return { rch: r, local: l };
  }

  runlogLines(): string[] {
    return readFileSync(this.runlog, "utf8").split("\n").filter(Boolean);
  }

  /** This scenario's project copy on a worker: the directory holding the marker file. */
  remoteCopy(): { worker: string; dir: string } | undefined {
    for (const w of this.opts.fleet?.workers ?? []) {
      const dir = findMarker(w.remoteRoot, this.token, 8);
      if (dir) return { worker: w.id, dir };
    }
    return undefined;
  }

  dispose(): void {
    killProcessesUnder(this.root);
    for (const dir of [this.root, this.shm]) {
      removeRoot(dir);
      liveRoots.delete(dir);
    }
  }
}

/** Breadth-first search for a directory containing `marker` (skipping build output dirs). */
function findMarker(top: string, marker: string, depth: number): string | undefined {
  let level = [top];
  for (let d = 0; d <= depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const dir of level) {
      if (existsSync(join(dir, marker))) return dir;
      let entries: import("node:fs").Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.isDirectory() && !["target", "node_modules", "build", ".git"].includes(e.name)) {
          next.push(join(dir, e.name));
        }
      }
    }
    level = next;
  }
  return undefined;
}

/** Local processes still running from a scratch root, ended by PID: those naming it on their
 * command line (rch's ssh ControlMaster, whose ControlPath lives in the scenario's cache dir) and
 * those that only have it in their environment (an auto-started rchd: RCH_CACHE_DIR). A daemon
 * left alive would notice its socket gone only on its next tick, after recreating cache/ssh in
 * the removed root. */
export function killProcessesUnder(root: string): void {
  for (const p of processes(
    (p) => p.pid !== process.pid && (p.cmdline.includes(root) || envMentions(p.pid, root)),
  )) {
    signalPid(p.pid, "SIGKILL");
  }
}

function envMentions(pid: number, root: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").includes(`=${root}`);
  } catch {
    return false; // gone, or not ours to read
  }
}

/** RCH_SCENARIO_KEEP=1 keeps the scratch dirs (both copies, rch's cache/state) for a post-mortem. */
function removeRoot(root: string): void {
  if (process.env.RCH_SCENARIO_KEEP === "1") console.error(`kept scenario scratch: ${root}`);
  else rmSync(root, { recursive: true, force: true });
}

export function disposeAll(): void {
  for (const root of [...liveRoots]) {
    killProcessesUnder(root);
    removeRoot(root);
    liveRoots.delete(root);
  }
}
