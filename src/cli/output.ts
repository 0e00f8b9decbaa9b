// The CLI's only door to the terminal: global --format/--quiet/--verbose live here, and so does
// the one place where errors become human text.
import pc from "picocolors";
import { CliError } from "./errors.ts";

export interface GlobalOptions {
  format: "text" | "json";
  quiet: boolean;
  verbose: boolean;
}

export class Output {
  constructor(readonly opts: GlobalOptions) {}

  get json(): boolean {
    return this.opts.format === "json";
  }

  /** Normal output: text lines, or (in JSON mode) the value passed as `data`. */
  result(text: string | (() => string), data: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else if (!this.opts.quiet) process.stdout.write(`${typeof text === "function" ? text() : text}\n`);
  }

  info(text: string): void {
    if (!this.opts.quiet && !this.json) process.stderr.write(`${text}\n`);
  }

  verbose(text: string): void {
    if (this.opts.verbose) process.stderr.write(`${pc.dim(text)}\n`);
  }

  warn(text: string): void {
    process.stderr.write(`${pc.yellow("warning:")} ${text}\n`);
  }

  error(err: unknown): number {
    const { message, hint, code } = describeError(err, this.opts.verbose);
    if (this.json) process.stdout.write(`${JSON.stringify({ error: message, hint })}\n`);
    else process.stderr.write(`${pc.red("error:")} ${message}${hint ? `\n  ${pc.dim(hint)}` : ""}\n`);
    return code;
  }
}

function describeError(err: unknown, verbose: boolean): { message: string; hint?: string; code: number } {
  if (err instanceof CliError) return { message: err.message, hint: err.hint, code: err.exitCode };
  if (err instanceof Error && err.name === "CommanderError") return { message: err.message, code: 2 };
  if (err instanceof Error) return { message: verbose ? (err.stack ?? err.message) : err.message, code: 1 };
  return { message: String(err), code: 1 };
}
