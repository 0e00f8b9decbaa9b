// A remote command as one ssh command string: `sh -c '<script>' rch <args…>`. The script is
// constant text and every piece of data travels as a positional argument, quoted word by word,
// so nothing the user typed is ever interpreted by the remote shell as code.
import { shQuote } from "../shell/quote.ts";
import { type SshTarget, sshArgv } from "./options.ts";
import { type RunResult, run } from "./proc.ts";

/** What the login shell on the worker receives (it must be a POSIX shell: sh, bash, zsh…). */
export function remoteCommand(script: string, args: readonly string[]): string {
  return ["sh", "-c", script, "rch", ...args].map(shQuote).join(" ");
}

/** Runs a remote command through the master and captures its output; aborting `signal` stops
 * it as its deadline would (ssh's process group, TERM then KILL). `lifeline`: the remote stdin
 * stays open until then, for a program that stops itself when it reads EOF there (gc.sh). */
export function runRemote(
  t: SshTarget,
  script: string,
  args: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
  lifeline = false,
): Promise<RunResult> {
  return run([...sshArgv(t), remoteCommand(script, args)], {
    timeoutMs,
    ...(signal ? { signal } : {}),
    ...(lifeline ? { holdStdin: true } : {}),
  });
}
