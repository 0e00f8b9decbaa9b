// What the worker-side locks cost an uncontended build (run as root: `bun bench/locks.bench.ts`):
//  1. run.sh over a warm ssh master with its locks (a slot of 8 and the copy's exclusive lock,
//     the stamp) vs the same program told to take none — interleaved, N rounds, medians. The
//     build is `true` on a copy that is already current, so the difference is the prologue.
//  2. ssh sessions per `rch exec` (no change, and one file changed): counted by an `ssh` first on
//     PATH that logs each start and execs the real one — the locks ride the build's own session.
//     RCH_BENCH_BASE=/path/to/an/earlier/rch counts the same for that build, side by side.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../src/config/schema.ts";
import { buildArgs, syncHeader } from "../src/exec/script.ts";
import { sshArgv, sshTarget } from "../src/ssh/options.ts";
import { remoteCommand } from "../src/ssh/remote.ts";
import { RUN_PROGRAM } from "../src/worker/programs.ts";
import { workerConfig } from "../test/bed/client.ts";
import { startFleet } from "../test/bed/fleet.ts";
import { baseRchEnv, ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";

const N = Number(process.env.BENCH_RUNS ?? 31);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["cc"] }), ensureBinary()]);
  const e = rchEnv(fleet);
  const base = mkdtempSync("/tmp/rchbench-locks-");
  try {
    const w = fleet.workers[0]!;
    Object.assign(process.env, { RCH_CACHE_DIR: e.env.RCH_CACHE_DIR, RCH_SSH_CONFIG: e.env.RCH_SSH_CONFIG });
    const worker = workerConfig(w, { total_slots: 8 });
    const ssh = sshArgv(sshTarget(worker, defaultConfig().ssh));
    const copy = `${w.remoteRoot}/bench-copy`;
    Bun.spawnSync([...ssh, `mkdir -p ${copy}`]);
    const program = (locks: boolean) =>
      remoteCommand(
        RUN_PROGRAM,
        buildArgs({
          nonce: "0b0b0b0b",
          remoteDir: copy,
          relCwd: ".",
          bunDir: "",
          bunHash: "",
          trackInTree: false,
          outputDirs: [],
          fixDirs: [],
          localRoot: "/nowhere",
          lockMode: locks ? "x" : "",
          lockWaitS: 10,
          slots: locks ? 8 : 0,
          who: "client=0000000000000000 name=bench project=p since=0",
          stampNote: "client=0000000000000000 name=bench project=/p",
          samePath: false,
          env: { plain: [], rooted: [] },
          argv: ["true"],
        }),
      );
    const once = async (locks: boolean) => {
      const t0 = performance.now();
      const p = Bun.spawn([...ssh, program(locks)], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
      p.stdin.write(syncHeader({ check: "", stamp: "", remove: [], tarBytes: 0 }));
      await p.stdin.flush();
      // rch closes stdin after the exit marker (artifacts back); here at once.
      const err = p.stderr.getReader();
      let text = "";
      while (!text.includes("rch-exit-")) {
        const { value, done } = await err.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      p.stdin.end();
      if ((await p.exited) !== 0) throw new Error(`run.sh failed: ${text}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) await Promise.all([once(true), once(false)].slice(0, 1)); // warm master
    const withLocks: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < N; i++) {
      without.push(await once(false));
      withLocks.push(await once(true));
    }
    const [a, b] = [median(without), median(withLocks)];
    console.log(`run.sh over a warm master, ${N} interleaved rounds, medians:`);
    console.log(`  without locks            ${a.toFixed(1)} ms`);
    console.log(
      `  slot + copy lock + stamp ${b.toFixed(1)} ms  (+${(b - a).toFixed(1)} ms, ×${(b / a).toFixed(2)})`,
    );

    // Sessions per build: a counting ssh first on PATH.
    const shim = join(base, "bin");
    mkdirSync(shim);
    const log = join(base, "ssh.log");
    writeFileSync(join(shim, "ssh"), `#!/bin/sh\necho x >> ${log}\nexec /usr/bin/ssh "$@"\n`);
    chmodSync(join(shim, "ssh"), 0o755);
    const withShim = (env: Record<string, string | undefined>) => ({ ...env, PATH: `${shim}:${env.PATH}` });
    const project = (name: string) => {
      const proj = join(base, name);
      mkdirSync(join(proj, ".git"), { recursive: true });
      writeFileSync(join(proj, "Makefile"), "all: out.txt\nout.txt: in.txt\n\tcp in.txt out.txt\n");
      writeFileSync(join(proj, "in.txt"), "1\n");
      return proj;
    };
    const count = async (argv: string[], proj: string, env: Record<string, string | undefined>) => {
      writeFileSync(log, "");
      const p = Bun.spawn(argv, { cwd: proj, env, stdout: "ignore", stderr: "pipe" });
      const err = await new Response(p.stderr).text();
      if ((await p.exited) !== 0) throw new Error(err);
      return readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    };
    const sessions = async (bin: string, proj: string, env: Record<string, string | undefined>) => {
      const argv = [bin, "exec", "--", "make"];
      await count(argv, proj, env); // first: master, full sync, build, pull
      const noChange = await count(argv, proj, env);
      writeFileSync(join(proj, "in.txt"), "2\n");
      return { noChange, oneFile: await count(argv, proj, env) };
    };
    const now = await sessions(rch, project("proj"), withShim(e.env));
    console.log(
      `ssh processes per rch exec -- make: no change ${now.noChange}, one file changed ${now.oneFile}`,
    );
    console.log("  (the build's session; with one file changed, one more for the pull of out.txt)");
    // RCH_BENCH_BASE=/path/to/an/earlier/rch: the same count for a build without worker-side locks.
    const baseRch = process.env.RCH_BENCH_BASE;
    if (baseRch) {
      const baseEnv = baseRchEnv(fleet);
      try {
        const was = await sessions(baseRch, project("proj-base"), withShim(baseEnv.env));
        console.log(`  same with ${baseRch}: no change ${was.noChange}, one file changed ${was.oneFile}`);
      } finally {
        baseEnv.cleanup();
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
    e.cleanup();
    await fleet.stop();
  }
}

await main();
