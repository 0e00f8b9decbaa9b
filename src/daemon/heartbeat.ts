// The heartbeat's facts: what src/worker/heartbeat.sh prints, one fact per line, first word the
// fact's name. Lines this reader does not know are skipped (a newer worker program may say more).
import type { WorkerConfig } from "../config/schema.ts";
import { remoteRootArg } from "../ssh/gc.ts";
import { HEARTBEAT_PROGRAM } from "../worker/programs.ts";

export interface HeartbeatFacts {
  /** Free and total space of the filesystem holding remote_root; absent when df could not tell. */
  disk?: { availKb: number; totalKb: number };
  /** Whether the worker has flock(1); absent when the line was missing. */
  flock?: boolean;
  /** Whether a build can run at the project's own path there (user + mount namespaces). */
  samePath?: boolean;
  /** A fingerprint of the worker's toolchain dirs and compilers: when it moves, the daemon asks
   * for their identities again (toolchains.ts). */
  toolchains?: string;
}

const kb = (s: string | undefined): number | undefined => {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  return Number(s);
};

export function parseHeartbeat(stdout: string): HeartbeatFacts {
  const facts: HeartbeatFacts = {};
  for (const line of stdout.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] === "disk") {
      const availKb = kb(words[1]);
      const totalKb = kb(words[2]);
      if (availKb !== undefined && totalKb !== undefined) facts.disk = { availKb, totalKb };
    } else if (words[0] === "flock" && (words[1] === "yes" || words[1] === "no")) {
      facts.flock = words[1] === "yes";
    } else if (words[0] === "samepath" && (words[1] === "yes" || words[1] === "no")) {
      facts.samePath = words[1] === "yes";
    } else if (words[0] === "toolchains" && words[1]) {
      facts.toolchains = words[1];
    }
  }
  return facts;
}

/** The heartbeat as sent: the program and its one argument. */
export function heartbeatCommand(w: WorkerConfig): { script: string; args: string[] } {
  return { script: HEARTBEAT_PROGRAM, args: [remoteRootArg(w.remote_root)] };
}
