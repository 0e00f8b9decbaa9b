// Runs the command here, exactly as the agent wrote it: inherited stdio, our environment plus
// its assignments, same cwd. It stays in our process group (a terminal Ctrl-C reaches it as it
// would have without rch); signals sent to rch alone (timeout, the agent's tool) are forwarded.
// It is marked nested: a PATH shim it meets (this very tool, or one the build calls) runs the
// real tool instead of offloading it again.
import { NESTED_ENV } from "../shell/nested.ts";
import { shellStatus } from "../ssh/proc.ts";
import type { Assignment } from "./argv.ts";

export const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export interface LocalResult {
  exitCode: number;
  ms: number;
}

export async function runLocal(
  argv: string[],
  assignments: readonly Assignment[],
  cwd: string,
): Promise<LocalResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of assignments) env[name] = value;
  env[NESTED_ENV] = "1";
  const t0 = performance.now();
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(argv, { stdio: ["inherit", "inherit", "inherit"], env, cwd });
  } catch (e) {
    // What a shell does when the command cannot be found or run.
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`${argv[0]}: ${code === "ENOENT" ? "command not found" : (e as Error).message}\n`);
    return { exitCode: code === "ENOENT" ? 127 : 126, ms: performance.now() - t0 };
  }
  const forward = (sig: NodeJS.Signals) => () => {
    try {
      proc.kill(sig);
    } catch {
      // already gone
    }
  };
  const handlers = FORWARDED.map((sig) => [sig, forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  try {
    await proc.exited;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
  return { exitCode: shellStatus(proc), ms: performance.now() - t0 };
}
