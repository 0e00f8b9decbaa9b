// rch status [--workers] [--jobs] [--stats] [--disk] [--watch]: the daemon's view of the fleet. Status
// does not start the daemon: "not running" is the honest answer to "what is rchd doing?".
import type { Command } from "commander";
import { DaemonClient } from "../../client/admin.ts";
import type { StatusSnapshot } from "../../protocol/status.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";
import { renderDisk } from "./disk-view.ts";
import { renderJobs, renderOverview, renderStats, renderWorkers } from "./status-view.ts";
import { localToolchains, toolchainLine } from "./toolchain-view.ts";

interface StatusOpts {
  workers?: boolean;
  jobs?: boolean;
  stats?: boolean;
  disk?: boolean;
  watch?: boolean;
  interval: string;
  recent: string;
}

export const NOT_RUNNING_EXIT = 3;

function render(s: StatusSnapshot, o: StatusOpts): string {
  const parts: string[] = [];
  const any = o.workers || o.jobs || o.stats || o.disk;
  if (!any) parts.push(renderOverview(s), renderWorkers(s));
  if (o.workers) parts.push(renderWorkers(s));
  if (o.disk) parts.push(renderDisk(s));
  if (o.jobs) parts.push(renderJobs(s));
  if (o.stats) parts.push(renderStats(s));
  return parts.join("\n\n");
}

function pick(s: StatusSnapshot, o: StatusOpts): unknown {
  if (!(o.workers || o.jobs || o.stats || o.disk)) return s;
  return {
    ...(o.workers ? { workers: s.workers } : {}),
    ...(o.disk ? { disk: s.workers.map((w) => ({ worker: w.id, ...w.disk })) } : {}),
    ...(o.jobs ? { jobs: s.jobs } : {}),
    ...(o.stats ? { stats: s.stats } : {}),
  };
}

function notRunning(e: unknown): CliError {
  return new CliError(
    `rchd is not running (${(e as Error).message})`,
    NOT_RUNNING_EXIT,
    "start it with: rch daemon start",
  );
}

async function watch(out: Output, client: DaemonClient, o: StatusOpts, recent: number): Promise<number> {
  const intervalMs = Math.max(200, Number(o.interval) * 1000 || 2000);
  let stop = false;
  const onInt = () => {
    stop = true;
  };
  process.once("SIGINT", onInt);
  const tty = process.stdout.isTTY;
  if (tty && !out.json) process.stdout.write("\x1b[?25l"); // hide the cursor while redrawing
  try {
    while (!stop) {
      let frame: string;
      try {
        const s = await client.status(recent);
        frame = out.json ? JSON.stringify(pick(s, o)) : render(s, o);
      } catch (e) {
        client.close(); // reconnect next round: the daemon may be restarting
        frame = out.json
          ? JSON.stringify({ running: false, error: (e as Error).message })
          : `rchd is not reachable: ${(e as Error).message}`;
      }
      if (out.json) process.stdout.write(`${frame}\n`);
      else {
        const stamp = `${new Date().toLocaleTimeString()} · every ${intervalMs / 1000}s · Ctrl-C to quit`;
        process.stdout.write(`${tty ? "\x1b[H\x1b[2J" : "\n"}${frame}\n\n${stamp}\n`);
      }
      const until = Date.now() + intervalMs;
      while (!stop && Date.now() < until) await Bun.sleep(Math.min(100, until - Date.now()));
    }
  } finally {
    process.off("SIGINT", onInt);
    if (tty && !out.json) process.stdout.write("\x1b[?25h");
    client.close();
  }
  return 0;
}

async function status(out: Output, o: StatusOpts): Promise<number> {
  const client = new DaemonClient();
  const recent = Math.max(0, Math.min(1000, Number(o.recent) || 20));
  if (o.watch) return watch(out, client, o, recent);
  let s: StatusSnapshot;
  try {
    s = await client.status(recent);
  } catch (e) {
    throw notRunning(e);
  } finally {
    client.close();
  }
  // --workers: each worker's toolchains, marked where they are this machine's (asked here).
  const local = o.workers ? await localToolchains(process.cwd(), process.env) : undefined;
  const lines = local
    ? await Promise.all(
        s.workers.flatMap((w) => (w.toolchains ? [toolchainLine(w.id, w.toolchains, local)] : [])),
      )
    : [];
  out.result(() => [render(s, o), ...(lines.length ? ["", ...lines] : [])].join("\n"), pick(s, o));
  return 0;
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("the daemon's view: workers, jobs, statistics")
    .option("--workers", "workers: slots, health, circuit, latency, speed")
    .option("--jobs", "active and recent jobs")
    .option("--stats", "totals, remote vs local, time saved, dedup hits")
    .option("--disk", "workers' disks: free/total, rch's usage (census), copies, limits, last GC")
    .option("-w, --watch", "refresh in place until Ctrl-C")
    .option("--interval <seconds>", "refresh interval for --watch", "2")
    .option("--recent <n>", "how many recent jobs to show", "20")
    .action(action(status));
}
