#!/usr/bin/env bun
// Manual/benchmark use of the bed:
//   bun test/bed/cli.ts up [N] [--bare M]   start N workers (last M without rust/bun), print workers.toml, exit
//   bun test/bed/cli.ts down                stop that fleet (and reap stale fleets of crashed test runs)
//   bun test/bed/cli.ts status              list bed fleets on this host
// `up` leaves the sshds running (detached) and records the fleet in /tmp/rchbed-manual/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BedWorker, startFleet, type WorkerSpec } from "./fleet.ts";
import { pidsOfUids } from "./proc.ts";
import { mountsUnder } from "./system.ts";
import { FLEET_DIR_RE, fleetUsers, ownerOf, reapStale, SCRATCH_PARENT, teardown } from "./teardown.ts";

const MANUAL = "/tmp/rchbed-manual";
const STATE = join(MANUAL, "state.json");

interface ManualState {
  dir: string;
  workers: BedWorker[];
}

function readState(): ManualState | undefined {
  return existsSync(STATE) ? (JSON.parse(readFileSync(STATE, "utf8")) as ManualState) : undefined;
}

async function up(args: string[]): Promise<void> {
  const old = readState();
  if (old && existsSync(old.dir))
    throw new Error(`a manual fleet is already up (${old.dir}); run 'down' first`);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
  const bareAt = args.indexOf("--bare");
  const bare = bareAt >= 0 ? Number(args[bareAt + 1] ?? 1) : 0;
  const specs: WorkerSpec[] = Array.from({ length: n }, (_, i) => ({ toolchains: i < n - bare }));
  const t0 = performance.now();
  const fleet = await startFleet({ workers: specs, persistent: true });
  const ms = (performance.now() - t0).toFixed(0);
  mkdirSync(MANUAL, { recursive: true });
  writeFileSync(
    STATE,
    `${JSON.stringify({ dir: fleet.dir, workers: fleet.workers } satisfies ManualState, null, 2)}\n`,
  );
  const toml = fleet.workersToml();
  writeFileSync(join(MANUAL, "workers.toml"), toml);
  process.stdout.write(toml);
  process.stderr.write(
    `\n# fleet ${fleet.id}: ${n} workers up in ${ms} ms (scratch ${fleet.dir})\n` +
      `# workers.toml:  ${join(MANUAL, "workers.toml")}\n` +
      `# ssh:           ssh -F ${fleet.sshConfigFile} ${fleet.workers[0]?.id} true\n` +
      `# known_hosts:   ${fleet.knownHostsFile}\n` +
      `# stop with:     bun test/bed/cli.ts down\n`,
  );
}

async function down(): Promise<void> {
  const state = readState();
  const t0 = performance.now();
  if (state) {
    await teardown(
      state.dir,
      state.workers.map((w) => w.sshdPid),
    );
    rmSync(MANUAL, { recursive: true, force: true });
    process.stderr.write(`stopped ${state.dir} in ${(performance.now() - t0).toFixed(0)} ms\n`);
  } else {
    process.stderr.write("no manual fleet recorded\n");
  }
  for (const dir of await reapStale()) process.stderr.write(`reaped stale ${dir}\n`);
}

function status(): void {
  const dirs = readdirSync(SCRATCH_PARENT).filter((n) => FLEET_DIR_RE.test(n));
  if (dirs.length === 0) process.stdout.write("no bed fleets\n");
  for (const name of dirs) {
    const dir = join(SCRATCH_PARENT, name);
    const owner = ownerOf(dir);
    const users = fleetUsers(dir);
    const procs = pidsOfUids(users.map((u) => u.uid)).length;
    const who = owner ? (owner.persistent ? "manual" : `pid ${owner.pid}`) : "no owner";
    process.stdout.write(
      `${dir}  ${who}  users: ${users.map((u) => u.name).join(" ") || "-"}  processes: ${procs}  mounts: ${mountsUnder(dir).length}\n`,
    );
  }
}

const [cmd = "status", ...rest] = process.argv.slice(2);
try {
  if (cmd === "up") await up(rest);
  else if (cmd === "down") await down();
  else if (cmd === "status") status();
  else throw new Error(`unknown command '${cmd}' (use up [N] [--bare M] | down | status)`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
