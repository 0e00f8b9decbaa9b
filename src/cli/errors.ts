// Exceptional conditions the CLI reports to a person. Expected outcomes are values elsewhere;
// these are for "the command you asked for cannot be done".
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly hint?: string,
  ) {
    super(message);
  }
}
