// What same-path mode costs a build (run as root: `bun bench/samePath.bench.ts`):
//  1. run.sh over a warm ssh master, mapped vs same-path (the namespace, the mount(s), the nested
//     unshare back to the worker user), interleaved, N rounds, medians. The build is `true` on a
//     copy that is current, so the difference is the wrapper. Two shapes of the local path: its
//     parent exists and the worker may search it (one bind mount), and a parent the worker cannot
//     search (a tmpfs over it, then the bind: the bed's and most agents' case, /tmp/… or /home/…).
//  2. ssh sessions per `rch exec -- make` with path_mode auto (same path) vs "mapped", counted by
//     an `ssh` first on PATH that logs each start: the mode rides the build's own session.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../src/config/schema.ts";
import { buildArgs, syncHeader } from "../src/exec/script.ts";
import { sshArgv, sshTarget } from "../src/ssh/options.ts";
import { remoteCommand } from "../src/ssh/remote.ts";
import { RUN_PROGRAM } from "../src/worker/programs.ts";
import { workerConfig } from "../test/bed/client.ts";
import { startFleet } from "../test/bed/fleet.ts";
import { ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";

const N = Number(process.env.BENCH_RUNS ?? 31);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["cc"] }), ensureBinary()]);
  const e = rchEnv(fleet);
  const base = mkdtempSync("/tmp/rchbench-samepath-"); // root's, 0700: the worker cannot search it
  try {
    const w = fleet.workers[0]!;
    Object.assign(process.env, { RCH_CACHE_DIR: e.env.RCH_CACHE_DIR, RCH_SSH_CONFIG: e.env.RCH_SSH_CONFIG });
    const worker = workerConfig(w, { total_slots: 8 });
    const ssh = sshArgv(sshTarget(worker, defaultConfig().ssh));
    const copy = `${w.remoteRoot}/bench-copy`;
    Bun.spawnSync([...ssh, `mkdir -p ${copy}`]);
    const open = join(w.remoteRoot, "open-parent", "proj"); // exists, searchable: one bind
    Bun.spawnSync([...ssh, `mkdir -p ${open}`]);
    const closed = join(base, "proj"); // under a dir the worker cannot search: tmpfs + bind
    /** A reference: what five more process starts cost on this worker (the build runs /bin/true
     * five times from one sh: 6 execs against mapped's 1). The same-path wrapper starts five. */
    const FIVE = ["sh", "-c", "for i in 1 2 3 4 5; do /bin/true; done"];
    const program = (localRoot: string, samePath: boolean, argv = ["true"]) =>
      remoteCommand(
        RUN_PROGRAM,
        buildArgs({
          ...{ nonce: "0b0b0b0b", remoteDir: copy, relCwd: ".", bunDir: "", bunHash: "" },
          ...{ trackInTree: false, outputDirs: [], fixDirs: [], localRoot, lockMode: "x", lockWaitS: 10 },
          ...{ slots: 8, who: "client=0000000000000000 name=bench project=p since=0" },
          ...{ stampNote: "client=0000000000000000 name=bench project=/p", samePath },
          ...{ env: { plain: [], rooted: [] }, argv },
        }),
      );
    const once = async (localRoot: string, samePath: boolean, argv?: string[]) => {
      const t0 = performance.now();
      const p = Bun.spawn([...ssh, program(localRoot, samePath, argv)], {
        ...{ stdin: "pipe", stdout: "ignore", stderr: "pipe" },
      });
      p.stdin.write(syncHeader({ check: "", stamp: "", remove: [], tarBytes: 0 }));
      await p.stdin.flush();
      const err = p.stderr.getReader();
      let text = "";
      while (!text.includes("rch-exit-")) {
        const { value, done } = await err.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      p.stdin.end();
      if ((await p.exited) !== 0 || (samePath && !text.includes("\tsame\n")))
        throw new Error(`run.sh failed: ${text}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) await once(closed, true); // warm master
    const mapped: number[] = [];
    const bind: number[] = [];
    const tmpfs: number[] = [];
    const five: number[] = [];
    for (let i = 0; i < N; i++) {
      mapped.push(await once(closed, false));
      five.push(await once(closed, false, FIVE));
      bind.push(await once(open, true));
      tmpfs.push(await once(closed, true));
    }
    const m = median(mapped);
    const show = (label: string, xs: number[]) => {
      const v = median(xs);
      return `  ${label} ${v.toFixed(1)} ms  (+${(v - m).toFixed(1)} ms, ×${(v / m).toFixed(2)})`;
    };
    console.log(`run.sh over a warm master, ${N} interleaved rounds, medians (build: true):`);
    console.log(`  mapped                          ${m.toFixed(1)} ms`);
    console.log(show("same path, parent searchable   ", bind));
    console.log(show("same path, parent not (tmpfs)  ", tmpfs));
    console.log(show("mapped, 5 more process starts  ", five));

    // Sessions per build: a counting ssh first on PATH (the daemon it starts counts too, so it is
    // started first, without the shim, and has heartbeat once before counting).
    const shim = join(base, "bin");
    mkdirSync(shim);
    const log = join(base, "ssh.log");
    writeFileSync(join(shim, "ssh"), `#!/bin/sh\necho x >> ${log}\nexec /usr/bin/ssh "$@"\n`);
    chmodSync(join(shim, "ssh"), 0o755);
    const withShim = { ...e.env, PATH: `${shim}:${e.env.PATH}` };
    Bun.spawnSync([rch, "daemon", "start"], { env: e.env });
    await Bun.sleep(2000); // its first heartbeat (a bench, not a test: a fixed wait is fine here)
    const count = async (proj: string) => {
      writeFileSync(log, "");
      const p = Bun.spawn([rch, "exec", "--", "make"], {
        cwd: proj,
        env: withShim,
        stdout: "ignore",
        stderr: "pipe",
      });
      const err = await new Response(p.stderr).text();
      if ((await p.exited) !== 0) throw new Error(err);
      return readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    };
    const workersToml = join(e.dir, "config", "workers.toml");
    for (const mode of ["auto", "mapped"] as const) {
      writeFileSync(workersToml, fleet.workersToml({ path_mode: mode }));
      await Bun.sleep(1500); // the daemon re-reads workers.toml within a second
      const proj = join(base, `proj-${mode}`);
      mkdirSync(join(proj, ".git"), { recursive: true });
      writeFileSync(join(proj, "Makefile"), "all: out.txt\nout.txt: in.txt\n\tcp in.txt out.txt\n");
      writeFileSync(join(proj, "in.txt"), "1\n");
      await count(proj);
      const noChange = await count(proj);
      writeFileSync(join(proj, "in.txt"), "2\n");
      const oneFile = await count(proj);
      console.log(
        `ssh processes per rch exec -- make, path_mode ${mode}: no change ${noChange}, one file changed ${oneFile}`,
      );
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
    e.cleanup();
    await fleet.stop();
  }
}

await main();
