// rch workers list | probe [--all|ID]
import type { Command } from "commander";
import pc from "picocolors";
import { PROBE_TOOLS } from "../../classify/registry.ts";
import { loadConfig } from "../../config/load.ts";
import { findProjectRoot } from "../../config/project.ts";
import type { WorkerConfig } from "../../config/schema.ts";
import { type ProbeResult, probeWorker } from "../../ssh/probe.ts";
import { probeToolchains } from "../../ssh/toolchains.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";
import { localToolchains, toolchainLine } from "./toolchain-view.ts";
import { addGcCommand } from "./workers-gc.ts";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [pc.bold(line(header)), ...rows.map(line)].join("\n");
}

function loadWorkers(out: Output): WorkerConfig[] {
  const loaded = loadConfig({ projectRoot: findProjectRoot(process.cwd()).root });
  for (const i of loaded.issues)
    out.verbose(`config: ${i.file}${i.line ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
  return loaded.workers;
}

function list(out: Output): number {
  const workers = loadWorkers(out);
  out.result(
    () =>
      workers.length === 0
        ? "no workers configured (add [[workers]] entries to ~/.config/rch/workers.toml)"
        : table(
            ["ID", "HOST", "ADDRESS", "SLOTS", "PRIORITY", "TAGS", "ENABLED"],
            workers.map((w) => [
              w.id,
              w.host,
              `${w.user ? `${w.user}@` : ""}${w.host}:${w.port}`,
              String(w.total_slots),
              String(w.priority),
              w.tags.join(","),
              w.enabled ? "yes" : "no",
            ]),
          ),
    workers,
  );
  return 0;
}

function probeRow(r: ProbeResult): string[] {
  if (!r.reachable) return [r.id, pc.red("unreachable"), "-", "-", "-", "-", "-", "-", r.error];
  if (!r.usable) return [r.id, pc.red("unusable"), "-", "-", "-", "-", "-", "-", r.error];
  const tools = Object.entries(r.tools)
    .filter(([, v]) => v)
    .map(([t, v]) => `${t} ${v}`);
  return [
    r.id,
    pc.green("ok"),
    `${r.latencyMs} ms`,
    String(r.slots),
    r.os,
    String(r.cpus ?? "?"),
    r.flock ? "flock" : pc.yellow("none"),
    r.samePath.ok ? "same" : pc.yellow("mapped"),
    tools.join(", "),
  ];
}

/** Workers that cannot run builds at the project's own path: why, once per worker. */
function mappedNotes(results: ProbeResult[], workers: WorkerConfig[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    if (!r.reachable || !r.usable) continue;
    const forced = workers.find((w) => w.id === r.id)?.path_mode === "mapped";
    if (!r.samePath.ok)
      notes.push(
        `${r.id}: builds run at the copy's path, not the project's own (user + mount namespaces: ${r.samePath.why}); paths in their output are rewritten, but debug info and build-tool state name the copy`,
      );
    else if (forced)
      notes.push(`${r.id}: could run builds at the project's own path, but path_mode = "mapped"`);
  }
  return notes;
}

/** Workers without flock(1): what that means, once per worker, under the table. */
function noFlockNotes(results: ProbeResult[]): string[] {
  return results
    .filter((r) => r.reachable && r.usable && !r.flock)
    .map(
      (r) =>
        `${r.id}: no flock(1) on its PATH: builds there take no slot or copy locks, so sharing it with other workstations is off — this workstation counts only its own builds there (as before), and builds run as usual`,
    );
}

async function probe(out: Output, id: string | undefined, opts: { all?: boolean }): Promise<number> {
  const workers = loadWorkers(out);
  if (!id && !opts.all) throw new CliError("name a worker or pass --all", 2, "rch workers probe --all");
  const chosen = id ? workers.filter((w) => w.id === id) : workers;
  if (id && chosen.length === 0) {
    throw new CliError(
      `no worker '${id}' in workers.toml`,
      1,
      `configured: ${workers.map((w) => w.id).join(", ") || "none"}`,
    );
  }
  if (chosen.length === 0)
    throw new CliError("no workers configured", 1, "add [[workers]] entries to ~/.config/rch/workers.toml");
  const { config } = loadConfig({ projectRoot: findProjectRoot(process.cwd()).root });
  const results = await Promise.all(chosen.map((w) => probeWorker(w, config.ssh, PROBE_TOOLS)));
  // Each worker's toolchain identities, marked ✓ where they are exactly this machine's.
  const local = await localToolchains(process.cwd(), process.env);
  const identities = await Promise.all(
    chosen.map(async (w, i) => {
      const r = results[i]!;
      if (!r.reachable || !r.usable) return undefined;
      const p = await probeToolchains(w, config.ssh);
      const view = p.ok ? p.toolchains : { platform: "?", rust: [], tools: [], error: p.error };
      return { id: w.id, toolchains: view, line: await toolchainLine(w.id, view, local) };
    }),
  );
  const found = identities.filter((t) => t !== undefined);
  out.result(
    () =>
      [
        table(
          ["ID", "STATUS", "LATENCY", "SLOTS", "OS/ARCH", "CPUS", "LOCKS", "PATH", "TOOLCHAINS / ERROR"],
          results.map(probeRow),
        ),
        ...(found.length
          ? ["", pc.bold("toolchains (✓ = the same as this machine's, for builds started here):")]
          : []),
        ...found.map((t) => t.line),
        ...noFlockNotes(results).map((n) => pc.yellow(n)),
        ...mappedNotes(results, chosen).map((n) => pc.yellow(n)),
      ].join("\n"),
    results.map((r, i) => ({ ...r, ...(identities[i] ? { toolchains: identities[i].toolchains } : {}) })),
  );
  return results.every((r) => r.reachable && r.usable) ? 0 : 1;
}

export function registerWorkers(program: Command): void {
  const workers = program.command("workers").description("the worker fleet (workers.toml)");
  workers.command("list").description("configured workers").action(action(list));
  workers
    .command("probe [id]")
    .description("connectivity, latency, OS/arch and toolchain versions of workers")
    .option("--all", "probe every configured worker")
    .action(action(probe));
  addGcCommand(workers);
}
