// The command table. Each subcommand lives in its own file and registers itself here; actions
// return an exit code (or throw a CliError), and this is the one place that turns failures into text.
import { Command, CommanderError, Option } from "commander";
import { BUILD } from "../protocol/build.ts";
import { registerClassify } from "./commands/classify.ts";
import { registerConfig } from "./commands/config.ts";
import { registerDaemon } from "./commands/daemon.ts";
import { registerExec } from "./commands/exec.ts";
import { registerHook } from "./commands/hook.ts";
import { registerShim } from "./commands/shim.ts";
import { registerStatus } from "./commands/status.ts";
import { registerToolchain } from "./commands/toolchain.ts";
import { registerWorkers } from "./commands/workers.ts";
import { registerFleetWorkers } from "./commands/workers-fleet.ts";
import { Output } from "./output.ts";

export function buildProgram(): Command {
  const program = new Command("rch")
    .description("Remote Compilation Helper: runs AI agents' builds on SSH workers")
    .version(BUILD.id, "--version")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("-q, --quiet", "suppress non-error output")
    .option("-v, --verbose", "more detail on stderr")
    .showHelpAfterError()
    .exitOverride();
  registerClassify(program);
  registerConfig(program);
  registerHook(program);
  registerShim(program);
  registerExec(program);
  registerWorkers(program);
  registerDaemon(program);
  registerStatus(program);
  registerToolchain(program);
  registerFleetWorkers(program); // after any registerWorkers: adds benchmark|drain|enable to `workers`
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit through here with code 0; usage errors are already printed
      return err.exitCode === 0 ? 0 : 2;
    }
    return new Output({ format: "text", quiet: false, verbose: false }).error(err);
  }
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}
