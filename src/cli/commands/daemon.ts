// rch daemon run|start|stop|restart|status|logs. `run` is rchd in the foreground (logs on
// stderr); `start` goes through the same start lock as the clients' auto-start, so a start racing
// ten `rch exec` still yields one daemon.
import { existsSync, readFileSync, statSync } from "node:fs";
import { type Command, Option } from "commander";
import { DaemonClient } from "../../client/admin.ts";
import { AlreadyRunningError, readPid } from "../../daemon/lifecycle.ts";
import { BUILD } from "../../protocol/build.ts";
import { isLocked } from "../../protocol/flock.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";
import { NOT_RUNNING_EXIT } from "./status.ts";
import { duration } from "./status-view.ts";

async function run(_out: Output, o: { heartbeat: boolean; leaseTtlMs?: string }): Promise<number> {
  const { runDaemon } = await import("../../daemon/daemon.ts");
  try {
    const code = await runDaemon({
      build: BUILD,
      heartbeats: o.heartbeat,
      ...(o.leaseTtlMs ? { leaseTtlMs: Number(o.leaseTtlMs) } : {}),
    });
    process.exit(code); // open client sockets and in-flight ssh probes must not keep it alive
  } catch (e) {
    if (e instanceof AlreadyRunningError) throw new CliError(e.message, 1, "stop it with: rch daemon stop");
    throw e;
  }
}

async function start(out: Output): Promise<number> {
  const client = new DaemonClient();
  try {
    const running = await client.hello(false).catch(() => undefined);
    if (running) {
      out.result(`rchd is already running (pid ${running.pid})`, {
        running: true,
        started: false,
        pid: running.pid,
      });
      return 0;
    }
    const h = await client.hello(true).catch((e: Error) => {
      throw new CliError(
        `could not start rchd: ${e.message}`,
        1,
        `see the log: rch daemon logs (${client.paths.log})`,
      );
    });
    out.result(`started rchd (pid ${h.pid}); log: ${client.paths.log}`, {
      running: true,
      started: true,
      pid: h.pid,
    });
    return 0;
  } finally {
    client.close();
  }
}

async function waitUnlocked(lock: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isLocked(lock)) return true;
    await Bun.sleep(25);
  }
  return !isLocked(lock);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Asks politely, then SIGTERM, then SIGKILL (a hung daemon must still be stoppable). */
async function stopDaemon(client: DaemonClient): Promise<{ wasRunning: boolean; how: string }> {
  const { paths } = client;
  let asked = false;
  try {
    await client.shutdown();
    asked = true;
  } catch {
    // not reachable: maybe not running, maybe hung
  } finally {
    client.close();
  }
  if (!isLocked(paths.lock)) return { wasRunning: asked, how: "shutdown request" };
  if (asked && (await waitUnlocked(paths.lock, 5000))) return { wasRunning: true, how: "shutdown request" };
  const pid = readPid(paths);
  if (pid === undefined) throw new CliError(`rchd holds ${paths.lock} but ${paths.pid} names no pid`, 1);
  signal(pid, "SIGTERM");
  if (await waitUnlocked(paths.lock, 3000)) return { wasRunning: true, how: "SIGTERM" };
  signal(pid, "SIGKILL");
  if (await waitUnlocked(paths.lock, 2000)) return { wasRunning: true, how: "SIGKILL" };
  throw new CliError(`rchd (pid ${pid}) did not stop`, 1);
}

async function stop(out: Output): Promise<number> {
  const r = await stopDaemon(new DaemonClient());
  out.result(r.wasRunning ? `stopped rchd (${r.how})` : "rchd was not running", {
    stopped: r.wasRunning,
    how: r.how,
  });
  return 0;
}

async function restart(out: Output): Promise<number> {
  await stopDaemon(new DaemonClient());
  return start(out);
}

async function status(out: Output): Promise<number> {
  const client = new DaemonClient();
  try {
    const s = await client.status(0);
    const d = s.daemon;
    const slots = s.workers.reduce((n, w) => n + w.totalSlots, 0);
    out.result(
      `rchd ${d.version} running (pid ${d.pid}, up ${duration(Date.now() - d.startedAt)})\n` +
        `socket   ${d.socket}\nworkers  ${s.workers.length} (${slots} slots)\nlog      ${client.paths.log}`,
      { running: true, ...d, workers: s.workers.length, slots, log: client.paths.log },
    );
    return 0;
  } catch (e) {
    out.result(`rchd is not running (${(e as Error).message})`, {
      running: false,
      socket: client.paths.socket,
    });
    return NOT_RUNNING_EXIT;
  } finally {
    client.close();
  }
}

async function logs(out: Output, o: { tail: string; follow?: boolean }): Promise<number> {
  const file = new DaemonClient().paths.log;
  if (!existsSync(file))
    throw new CliError(`no daemon log yet (${file})`, 1, "a background rchd writes there");
  const n = Math.max(0, Number(o.tail) || 50);
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  out.result(lines.slice(-n).join("\n"), { file, lines: lines.slice(-n) });
  if (!o.follow) return 0;
  let offset = statSync(file).size;
  for (;;) {
    await Bun.sleep(250);
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < offset) offset = 0; // rotated
    if (size > offset) {
      const buf = readFileSync(file).subarray(offset, size);
      process.stdout.write(buf);
      offset = size;
    }
  }
}

export function registerDaemon(program: Command): void {
  const d = program.command("daemon").description("control rchd, the local fleet daemon");
  d.command("run")
    .description("run rchd in the foreground (logs on stderr); same as `rchd`")
    .addOption(new Option("--no-heartbeat", "treat every worker as healthy, no ssh (benchmarks)").hideHelp())
    .addOption(new Option("--lease-ttl-ms <ms>", "lease lifetime without renewal (tests)").hideHelp())
    .action(action(run));
  d.command("start").description("start rchd in the background").action(action(start));
  d.command("stop").description("stop rchd").action(action(stop));
  d.command("restart").description("stop, then start rchd").action(action(restart));
  d.command("status").description("is rchd running? (exit 3 when not)").action(action(status));
  d.command("logs")
    .description("show the background daemon's log")
    .option("-n, --tail <lines>", "lines to show", "50")
    .option("-f, --follow", "keep printing new lines")
    .action(action(logs));
}
