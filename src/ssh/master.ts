// One OpenSSH master connection per worker (ControlMaster/ControlPersist). Opening one costs a
// full handshake (~200 ms here); every later ssh or rsync rides it for ~8 ms (both measured on
// this project's machine kind: 2 vCPU VM, loopback sshd).

import { diagnose } from "./diagnose.ts";
import { controlPath, destination, type SshTarget, sshArgv, sshOptions } from "./options.ts";
import { run } from "./proc.ts";

export type MasterResult =
  | { ok: true; ms: number; reused: boolean }
  | { ok: false; reason: string; ms: number };

/**
 * Is a master for this worker already listening? A connect to its socket answers that locally
 * (a stale socket file refuses the connection); the master just sees a client come and go.
 */
export async function masterAlive(t: SshTarget): Promise<boolean> {
  // Bun.connect, not node:net: loading node:net cost ~5 M instructions (callgrind, compiled stub)
  // in every `rch exec`, whose remote run imports this module.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connected = Bun.connect({ unix: controlPath(t), socket: { data() {}, error() {} } }).then(
    (sock) => {
      sock.end();
      return true;
    },
    () => false,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), 1000);
  });
  try {
    return await Promise.race([connected, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Makes sure a master is up: reuses a live one, else connects (ControlMaster=auto turns this
 * first ssh into the master, which then persists in the background with its stdio on /dev/null).
 */
export async function ensureMaster(t: SshTarget): Promise<MasterResult> {
  const t0 = performance.now();
  if (await masterAlive(t)) return { ok: true, ms: performance.now() - t0, reused: true };
  const timeoutMs = (t.settings.connect_timeout_s + 10) * 1000;
  const r = await run([...sshArgv(t), "exit 0"], { timeoutMs });
  const ms = performance.now() - t0;
  if (r.code === 0) return { ok: true, ms, reused: false };
  if (r.timedOut) return { ok: false, reason: `ssh to ${t.worker.id} timed out after ${timeoutMs} ms`, ms };
  return { ok: false, reason: describeSshFailure(r.stderr, r.code), ms };
}

/** Closes the worker's master (tests, `rch workers probe --fresh`). */
export async function exitMaster(t: SshTarget): Promise<void> {
  await run(["ssh", ...sshOptions(t), "-O", "exit", destination(t)], { timeoutMs: 3000 });
}

/** One line an agent can act on, from ssh's stderr. */
export function describeSshFailure(stderr: string, code: number): string {
  return diagnose(stderr, code, "ssh").line;
}
