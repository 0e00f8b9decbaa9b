// rch toolchain sync [ID|--all] [--toolchain NAME]: copies the Rust toolchain a build in this
// directory would use (rustup's choice, or NAME) to workers that lack it, verifies that each copy
// runs and is the same compiler, and tells a running daemon to look at those workers' toolchains
// again. Workers run builds only with the toolchain that matches this machine's; this is how a
// worker is made to match. Needs no daemon.
import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { findProjectRoot } from "../../config/project.ts";
import { LocalRustError, localRust } from "../../transfer/localRust.ts";
import { type SyncOutcome, syncToolchain } from "../../transfer/toolchain.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";

interface SyncOpts {
  all?: boolean;
  toolchain?: string;
}

async function sync(out: Output, id: string | undefined, o: SyncOpts): Promise<number> {
  if (id && o.all) throw new CliError("give a worker id or --all, not both", 2);
  if (!id && !o.all) throw new CliError("name a worker or pass --all", 2, "rch toolchain sync --all");
  const cwd = process.cwd();
  const { config, workers, issues } = loadConfig({ projectRoot: findProjectRoot(cwd).root });
  for (const i of issues)
    out.verbose(`config: ${i.file}${i.line ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
  const chosen = id ? workers.filter((w) => w.id === id) : workers.filter((w) => w.enabled);
  if (id && chosen.length === 0) {
    const known = workers.map((w) => w.id).join(", ") || "none";
    throw new CliError(`no worker '${id}' in workers.toml`, 1, `configured: ${known}`);
  }
  if (chosen.length === 0)
    throw new CliError("no workers configured", 1, "add [[workers]] entries to ~/.config/rch/workers.toml");
  const local = await localRust(cwd, o.toolchain).catch((e: unknown) => {
    if (e instanceof LocalRustError)
      throw new CliError(`cannot tell this machine's Rust toolchain: ${e.message}`, 1);
    throw e;
  });
  out.info(`syncing ${local.name} (${local.dir}) to ${chosen.map((w) => w.id).join(", ")}…`);
  // One worker at a time: a first copy is ~600 MB, and the link is usually the bottleneck.
  const results: SyncOutcome[] = [];
  for (const w of chosen) results.push(await syncToolchain(w, config, local));
  out.result(() => results.map(describe).join("\n"), { toolchain: local.name, results });
  return results.every((r) => r.ok) ? 0 : 1;
}

function describe(r: SyncOutcome): string {
  if (!r.ok) return `${r.worker}: not synced: ${r.reason}`;
  const sent =
    r.sentBytes >= 1 << 20
      ? `${(r.sentBytes / (1 << 20)).toFixed(1)} MiB`
      : `${Math.ceil(r.sentBytes / 1024)} KiB`;
  const what = r.action === "placed" ? `${r.name} placed` : `${r.name} up to date`;
  return `${r.worker}: ${what} (${sent} sent in ${(r.ms / 1000).toFixed(1)} s)`;
}

export function registerToolchain(program: Command): void {
  const tc = program.command("toolchain").description("the toolchains builds need on workers");
  tc.command("sync [id]")
    .description(
      "copy this machine's Rust toolchain (the one a build here uses) to workers, and verify it runs there",
    )
    .option("--all", "every enabled worker")
    .option(
      "--toolchain <name>",
      "a rustup toolchain name instead of the one this directory uses (e.g. nightly)",
    )
    .action(action(sync));
}
