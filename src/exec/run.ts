// Entry of `rch exec -- ARGV…`: splits the argv, runs wrappers locally around a nested rch exec,
// hands real commands to the pipeline. Returns the exit code; never throws for a build problem.
import type { FleetService } from "../protocol/selector.ts";
import { type ParsedArgv, parseExecArgv } from "./argv.ts";
import { runLocal } from "./local.ts";
import { runPipeline } from "./pipeline.ts";
import type { ExecReporter } from "./report.ts";

export interface ExecInput {
  /** Words after `--`. */
  words: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  report: ExecReporter;
  /** How to start this rch again (for wrappers): e.g. ["/usr/local/bin/rch"]. */
  self: string[];
  /** The fleet (the daemon client): connected lazily, only if the command may run remotely. */
  fleet(): FleetService;
}

export async function runExec(inp: ExecInput): Promise<number> {
  const parsed: ParsedArgv = parseExecArgv(inp.words);
  switch (parsed.kind) {
    case "command":
      return runPipeline({
        argv: parsed.argv,
        assignments: parsed.assignments,
        cwd: inp.cwd,
        env: inp.env,
        report: inp.report,
        fleet: inp.fleet(),
      });
    case "wrapped":
      return (
        await runLocal(wrapperArgv(parsed.wrapper, [...inp.self, "exec", "--", ...parsed.inner]), [], inp.cwd)
      ).exitCode;
    case "invalid":
      // Only assignments: a shell would set them and do nothing. Anything else we cannot take
      // apart runs here exactly as written.
      if (inp.words.every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w))) return 0;
      inp.report.detail(`running locally: ${parsed.reason}`);
      return (await runLocal(inp.words, [], inp.cwd)).exitCode;
  }
}

/**
 * `time` is the shell keyword in the agent's shell, so it is reproduced with bash's keyword
 * (same report format on stderr); nice and timeout are ordinary programs.
 */
function wrapperArgv(wrapper: string[], inner: string[]): string[] {
  const name = wrapper[0]!.slice(wrapper[0]!.lastIndexOf("/") + 1);
  if (name === "time") {
    const p = wrapper.includes("-p") ? "-p " : "";
    return ["bash", "-c", `time ${p}"$@"`, "bash", ...inner];
  }
  return [...wrapper, ...inner];
}
