// rch exec [-v] -- [NAME=value…] TOOL ARGS…: what the hook's rewrite runs. bin/rch.ts dispatches
// here before loading the command table (it runs inside every offloaded agent command); the
// commander registration below exists for `rch --help` and `rch exec --help`.
import type { Command } from "commander";
import { createDaemonSelector } from "../../client/daemonSelector.ts";
import { parseBool } from "../../config/env.ts";
import { writeAll } from "../../exec/fdwrite.ts";
import type { ExecReporter } from "../../exec/report.ts";
import { runExec } from "../../exec/run.ts";
import { selfArgv } from "../../shell/self.ts";

export const EXEC_USAGE = `usage: rch exec [-v|--verbose] -- [NAME=value…] [env NAME=value…] COMMAND [ARGS…]

Runs COMMAND on a worker from workers.toml as if it ran here: same output, exit code and
artifacts. Falls back to running it locally on any failure, with one line on stderr.

exit codes: the command's own; 218 rch internal error after the remote build ran;
219 the build ran remotely but its artifacts could not be brought back.
environment: RCH_VERBOSE=1, RCH_DRY_RUN=1, RCH_WORKER=id, RCH_WORKERS=a,b, RCH_LOCAL_ONLY=1,
RCH_BYPASS=1, RCH_ENABLED=false, RCH_COMPRESSION=N, RCH_SSH_CONFIG=<ssh_config for -F>`;

function stderrReporter(verbose: boolean): ExecReporter {
  // write(2), not process.stderr: Bun sends to a socket stderr with send(2), which Codex's sandbox
  // (seccomp) refuses, and the one line saying why the build ran here would be lost.
  const line = (text: string) => {
    try {
      writeAll(2, Buffer.from(`rch: ${text}\n`));
    } catch {
      // stderr is gone
    }
  };
  return {
    fallback: (reason) => line(`running locally: ${reason}`),
    warn: line,
    // Time since rch started, so a slow step stands out.
    detail: (text) => {
      if (verbose) line(`[${Math.round(performance.now())} ms] ${text}`);
    },
    plan: (lines) => {
      for (const l of lines) line(l);
    },
  };
}

/**
 * rch runs inside the agent's command: a crash banner there would be the worst kind of output.
 * Every I/O edge of the pipeline turns its failures into values; should a rejection still go
 * unobserved (a bug), it costs one line instead of the build, and a closed stdout or stderr (the
 * agent stopped reading) never becomes an uncaught stream error.
 */
function guardProcess(): void {
  process.on("unhandledRejection", (e) => {
    try {
      process.stderr.write(`rch: internal error (ignored): ${e instanceof Error ? e.message : String(e)}\n`);
    } catch {
      // stderr is gone too
    }
  });
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
}

/** argv: the words after `exec`. */
export async function runExecCommand(argv: string[]): Promise<number> {
  guardProcess();
  let verbose = parseBool(process.env.RCH_VERBOSE) === true;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-v" || a === "--verbose") verbose = true;
    else if (a === "-h" || a === "--help") {
      process.stdout.write(`${EXEC_USAGE}\n`);
      return 0;
    } else break; // no `--`: the command starts here
  }
  const words = argv.slice(i);
  if (words.length === 0) {
    process.stderr.write(`${EXEC_USAGE}\n`);
    return 2;
  }
  return runExec({
    words,
    cwd: process.cwd(),
    env: process.env,
    report: stderrReporter(verbose),
    self: selfArgv(),
    fleet: () => createDaemonSelector(),
  });
}

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description("run a build command on a worker (what the hook rewrites builds to)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[argv...]")
    .action(async (words: string[] | undefined) => {
      process.exitCode = await runExecCommand(words ?? []);
    });
}
