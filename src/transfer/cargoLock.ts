// cargo's own lock on a local profile dir (flock(2) on <profile>/.cargo-lock), held while rch
// writes into that dir: pulling a build's target dir back is, to any cargo here, one more cargo
// building there. A local cargo (an agent's local run, an editor's `cargo check`) then waits for
// the pull as it would for another cargo, and a pull waits for it; and the send of a profile dir
// up (seedArgv: `flock -n`) never reads one half pulled and half deleted. Bun has no flock, so a
// helper holds the locks: flock(1) around a `cat` that ends when rch closes its stdin (or dies).
import type { Subprocess } from "bun";
import { killGroup } from "../ssh/proc.ts";

export type Held = { ok: true; release(): Promise<void> } | { ok: false; reason: string };

/** Status flock(1) gives when its -w wait ran out. */
const WAITED = 75;

/** Holds every lock (paths of .cargo-lock files, created when missing) or none, waiting up to
 * `waitMs` for cargos that hold them. */
export async function holdCargoLocks(locks: readonly string[], waitMs: number): Promise<Held> {
  const s = String(Math.max(1, Math.ceil(waitMs / 1000)));
  const argv = [
    ...locks.flatMap((l) => ["flock", "-w", s, "-E", String(WAITED), l]),
    "sh",
    "-c",
    "echo held && exec cat >/dev/null",
  ];
  let proc: Subprocess<"pipe", "pipe", "pipe">;
  try {
    proc = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe", detached: true });
  } catch (e) {
    return { ok: false, reason: `cannot take cargo's lock here: ${(e as Error).message}` };
  }
  // Past the wait flock gives up by itself; this deadline is for a helper that hangs anyway.
  const deadline = setTimeout(() => killGroup(proc.pid, "SIGKILL"), waitMs + 10_000);
  const reader = proc.stdout.getReader();
  const first = await reader.read().catch(() => ({ done: true, value: undefined }));
  reader.releaseLock();
  if (first.done || !new TextDecoder().decode(first.value).startsWith("held")) {
    clearTimeout(deadline);
    const code = await proc.exited;
    const err = (await new Response(proc.stderr).text()).trim().split("\n").at(-1);
    return {
      ok: false,
      reason:
        code === WAITED
          ? `a cargo here held ${locks.length > 1 ? "a profile dir's" : "the profile dir's"} .cargo-lock for ${s} s`
          : `cannot take cargo's lock here (${err || `exit ${code}`})`,
    };
  }
  clearTimeout(deadline);
  return {
    ok: true,
    async release() {
      try {
        proc.stdin.end();
      } catch {
        // already gone
      }
      // A timer, not Bun.sleep: a pending sleep would keep rch alive after the helper ended.
      const stuck = setTimeout(() => killGroup(proc.pid, "SIGKILL"), 5_000);
      await proc.exited;
      clearTimeout(stuck);
    },
  };
}
