// rch workers benchmark|drain|enable: the fleet commands that go through the daemon (it owns the
// speed scores and the drained set, both persisted in its SQLite store). `workers list|probe`
// live in workers.ts; both add to the one `workers` command (see registerFleetWorkers).
import type { Command } from "commander";
import pc from "picocolors";
import { DaemonClient } from "../../client/admin.ts";
import { DaemonError } from "../../client/connection.ts";
import { loadConfig } from "../../config/load.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";

function daemonFailure(client: DaemonClient, e: unknown): CliError {
  if (e instanceof DaemonError) return new CliError(e.message, e.code === "unknown_worker" ? 2 : 1);
  return new CliError(
    `rchd is not reachable: ${(e as Error).message}`,
    1,
    `see: rch daemon logs (${client.paths.log})`,
  );
}

async function drainOrEnable(out: Output, id: string, drain: boolean): Promise<number> {
  const client = new DaemonClient();
  try {
    const message = drain ? await client.drain(id) : await client.enable(id);
    out.result(message, { worker: id, drained: drain, message });
    return 0;
  } catch (e) {
    throw daemonFailure(client, e);
  } finally {
    client.close();
  }
}

async function benchmark(out: Output, id: string | undefined, o: { all?: boolean }): Promise<number> {
  if (id && o.all) throw new CliError("give a worker id or --all, not both", 2);
  const client = new DaemonClient();
  const ids = id ? [id] : [];
  const count = loadConfig().workers.length;
  out.info(`benchmarking ${id ?? `all ${count} worker(s)`} (about 2 s each, one after another)…`);
  try {
    const results = await client.benchmark(ids, count);
    out.result(
      () =>
        results
          .map((r) =>
            r.ok
              ? `${r.workerId.padEnd(16)} speed ${pc.bold(String(r.speed))}  (compile ${r.compileMs! < 0 ? "n/a (no cc)" : `${r.compileMs} ms`}, cpu loop ${r.cpuMs} ms)`
              : `${r.workerId.padEnd(16)} ${pc.red("failed")}: ${r.error}`,
          )
          .join("\n") || "no workers configured",
      results,
    );
    return results.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    throw daemonFailure(client, e);
  } finally {
    client.close();
  }
}

/** Adds benchmark/drain/enable to an existing `workers` command. */
export function addFleetWorkerCommands(workers: Command): void {
  workers
    .command("benchmark [id]")
    .description("measure worker speed (CPU + compile) for selection; persisted")
    .option("--all", "every configured worker (the default without an id)")
    .action(action(benchmark));
  workers
    .command("drain <id>")
    .description("stop routing new jobs to a worker (running jobs finish); persisted")
    .action(action((out: Output, id: string) => drainOrEnable(out, id, true)));
  workers
    .command("enable <id>")
    .description("route jobs to a drained worker again")
    .action(action((out: Output, id: string) => drainOrEnable(out, id, false)));
}

/** Finds the `workers` command (workers.ts registers list/probe) or creates it, then adds ours.
 * Call after registerWorkers so both share one parent. */
export function registerFleetWorkers(program: Command): void {
  const existing = program.commands.find((c) => c.name() === "workers");
  addFleetWorkerCommands(existing ?? program.command("workers").description("manage the worker fleet"));
}
