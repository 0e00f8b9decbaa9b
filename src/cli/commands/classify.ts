// rch classify "<line>": why a command would or would not be offloaded.
import type { Command } from "commander";
import pc from "picocolors";
import { classify } from "../../classify/index.ts";
import type { Classification, CommandVerdict } from "../../classify/types.ts";
import { loadConfig } from "../../config/load.ts";
import { rchPrefix } from "../../hook/run.ts";
import { action } from "../action.ts";
import type { Output } from "../output.ts";

function verdictRow(c: CommandVerdict, i: number): string {
  const tag = c.offload ? pc.green("offload") : pc.dim("local  ");
  const family = (c.family ?? "-").padEnd(6);
  return `  ${i + 1}. ${tag} ${family} ${c.confidence.toFixed(2)}  ${c.text}\n       ${pc.dim(c.reason)}`;
}

function render(line: string, r: Classification, threshold: number): string {
  const lines = [`line:      ${line}`];
  if (r.kind === "offload") {
    lines.push(`decision:  ${pc.green("offload")}`, `rewritten: ${r.rewritten}`);
  } else {
    lines.push(`decision:  ${pc.yellow("local")} — ${r.reason}`);
  }
  lines.push(`threshold: ${threshold}`);
  if (r.commands.length > 0) lines.push("commands:", ...r.commands.map(verdictRow));
  return lines.join("\n");
}

function run(out: Output, line: string, opts: { threshold?: string }): number {
  const threshold =
    opts.threshold !== undefined
      ? Number(opts.threshold)
      : loadConfig().config.compilation.confidence_threshold;
  const result = classify(line, { threshold, prefix: rchPrefix() });
  out.result(() => render(line, result, threshold), { line, threshold, ...result });
  return 0;
}

export function registerClassify(program: Command): void {
  program
    .command("classify <line>")
    .description("show whether a shell line would be offloaded, and why")
    .option("--threshold <n>", "confidence threshold (default: from config)")
    .action(action(run));
}
