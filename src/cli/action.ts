// Wraps command actions: builds the Output from the global flags, and turns a thrown error into
// text and an exit code in exactly one place.
import type { Command } from "commander";
import { type GlobalOptions, Output } from "./output.ts";

export type Action = (out: Output, ...args: never[]) => Promise<number> | number;

/** Wraps a command action so it gets an Output built from the global flags and sets the exit code. */
export function action<A extends unknown[]>(
  fn: (out: Output, ...args: A) => Promise<number> | number,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const out = new Output(globalOptions(cmd));
    try {
      process.exitCode = await fn(out, ...(args.slice(0, -1) as A));
    } catch (err) {
      process.exitCode = out.error(err);
    }
  };
}

function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as { format?: string; quiet?: boolean; verbose?: boolean };
  return { format: o.format === "json" ? "json" : "text", quiet: !!o.quiet, verbose: !!o.verbose };
}
