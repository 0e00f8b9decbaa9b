// rch workers gc [ID|--all] [--dry-run]: runs the worker's garbage collector (src/worker/gc.sh)
// over its ssh master, with the policy the daemon uses ([gc] in config.toml, min_free_gb and
// max_disk_gb per worker), and shows what it did or, with --dry-run, what it would do. Needs no
// daemon: gc.sh's own lock keeps it from running beside the daemon's background GC.
import type { Command } from "commander";
import { DaemonClient } from "../../client/admin.ts";
import { loadConfig } from "../../config/load.ts";
import { findProjectRoot } from "../../config/project.ts";
import { runGc } from "../../ssh/gc.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";
import { gcJson, renderGc, type WorkerGc } from "./gc-view.ts";

interface GcOpts {
  all?: boolean;
  dryRun?: boolean;
}

async function gc(out: Output, id: string | undefined, o: GcOpts): Promise<number> {
  if (id && o.all) throw new CliError("give a worker id or --all, not both", 2);
  if (!id && !o.all) throw new CliError("name a worker or pass --all", 2, "rch workers gc --all --dry-run");
  const { config, workers, issues } = loadConfig({ projectRoot: findProjectRoot(process.cwd()).root });
  for (const i of issues)
    out.verbose(`config: ${i.file}${i.line ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
  const chosen = id ? workers.filter((w) => w.id === id) : workers.filter((w) => w.enabled);
  if (id && chosen.length === 0) {
    throw new CliError(
      `no worker '${id}' in workers.toml`,
      1,
      `configured: ${workers.map((w) => w.id).join(", ") || "none"}`,
    );
  }
  if (chosen.length === 0)
    throw new CliError("no workers configured", 1, "add [[workers]] entries to ~/.config/rch/workers.toml");
  const dryRun = !!o.dryRun;
  if (!dryRun) out.info(`collecting on ${chosen.map((w) => w.id).join(", ")}…`);
  // Each worker has its own disk and its own lock: they collect side by side.
  const results: WorkerGc[] = await Promise.all(
    chosen.map(async (w) => {
      const r = await runGc(w, config.ssh, config.gc, dryRun ? "plan" : "run");
      return {
        worker: w.id,
        minFreeGb: w.min_free_gb,
        maxDiskGb: w.max_disk_gb,
        result: r.ok ? { ok: true as const, report: r.report } : { ok: false as const, error: r.error },
      };
    }),
  );
  if (!dryRun) await tellDaemon(results.filter((r) => r.result.ok).map((r) => r.worker));
  out.result(() => renderGc(results, config.gc, dryRun), gcJson(results, config.gc, dryRun));
  return results.every((r) => r.result.ok) ? 0 : 1;
}

/** A running daemon re-reads these workers' disks now rather than at the next heartbeat and
 * census, so admission and `rch status --disk` see the space at once. Best effort: no daemon,
 * no matter. */
async function tellDaemon(workerIds: string[]): Promise<void> {
  if (workerIds.length === 0) return;
  const client = new DaemonClient();
  try {
    await client.diskRefresh(workerIds);
  } catch {
    // not running, or an older daemon: its heartbeats and census catch up by themselves
  } finally {
    client.close();
  }
}

export function addGcCommand(workers: Command): void {
  workers
    .command("gc [id]")
    .description(
      "remove least recently used project copies on workers to keep min_free_gb / max_disk_gb (never one in use)",
    )
    .option("--all", "every enabled worker")
    .option("--dry-run", "show what would be removed and why, and the free space after; change nothing")
    .action(action(gc));
}
