// How the exec pipeline talks to a person. The CLI provides the implementation (and the text
// prefix); exec modules only say what happened.
export interface ExecReporter {
  /** The one line printed when a build runs locally instead (always shown). */
  fallback(reason: string): void;
  /** Something the user should know even on success (a refused artifact, …). */
  warn(text: string): void;
  /** Detail for --verbose / RCH_VERBOSE=1. */
  detail(text: string): void;
  /** RCH_DRY_RUN: the plan, line by line. */
  plan(lines: string[]): void;
}

export const silentReporter: ExecReporter = {
  fallback() {},
  warn() {},
  detail() {},
  plan() {},
};
