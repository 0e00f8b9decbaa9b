// `rch workers probe`: can we reach a worker, how fast is a round trip through its master, and
// what does it have (OS/arch, CPUs, toolchain versions) — the facts gathered in ONE remote command.
// Which build tools to ask about is the caller's to say (the CLI passes the family registry's
// list): ssh/ sits below classify/ in the dependency rule and knows no build family.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { PROBE_PROGRAM } from "../worker/programs.ts";
import { ensureMaster } from "./master.ts";
import { sshArgv, sshTarget } from "./options.ts";
import { run } from "./proc.ts";
import { runRemote } from "./remote.ts";

/** Asked of every worker whatever it builds: rsync carries the project there and back. */
const BASE_TOOLS = ["rsync"];

/** The tools a probe reports, in order: the build tools asked for, then rch's own needs. */
export function probedTools(buildTools: readonly string[]): string[] {
  return [...new Set([...buildTools, ...BASE_TOOLS])];
}

export type ProbeResult =
  | {
      id: string;
      reachable: true;
      usable: true;
      connectMs: number;
      latencyMs: number;
      slots: number;
      os: string;
      cpus: number | null;
      /** flock(1) is on the worker's PATH: its builds hold slot and copy locks there, so
       * workstations sharing it are coordinated. Without it, each counts only its own builds. */
      flock: boolean;
      /** Builds can run at the project's own path there (user + mount namespaces); otherwise
       * why not (the worker's own words), and they run at the copy's path. */
      samePath: { ok: true } | { ok: false; why: string };
      tools: Record<string, string | null>;
    }
  | { id: string; reachable: true; usable: false; error: string }
  | { id: string; reachable: false; error: string };

/** Shells that run rch's quoted `sh -c …` command lines as written (the login shell gets them
 * first: ssh hands every remote command to it). */
const POSIX_SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ksh93", "ash", "busybox", "yash"]);

export function isPosixShell(path: string): boolean {
  return POSIX_SHELLS.has(path.slice(path.lastIndexOf("/") + 1));
}

function version(line: string | undefined): string | null {
  if (!line || line === "-") return null;
  return /\d+\.\d+(\.\d+)?/.exec(line)?.[0] ?? line.trim();
}

export async function probeWorker(
  w: WorkerConfig,
  ssh: Config["ssh"],
  buildTools: readonly string[],
): Promise<ProbeResult> {
  const tools = probedTools(buildTools);
  const t = sshTarget(w, ssh);
  const m = await ensureMaster(t);
  if (!m.ok) return { id: w.id, reachable: false, error: m.reason };
  // Warm round trips through the master: the best of three is the latency.
  const trips: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await run([...sshArgv(t), "true"], { timeoutMs: 10_000 });
    if (r.code !== 0) return { id: w.id, reachable: false, error: `round trip failed (exit ${r.code})` };
    trips.push(r.ms);
  }
  // `echo $SHELL` means the same in every shell: sshd sets SHELL to the user's login shell.
  const shell = (await run([...sshArgv(t), "echo $SHELL"], { timeoutMs: 10_000 })).stdout.trim();
  if (!isPosixShell(shell)) {
    const who = w.user ?? "the worker's user";
    return {
      id: w.id,
      reachable: true,
      usable: false,
      error: `login shell ${shell || "(unknown)"} is not a POSIX shell, and ssh runs rch's commands through it: give ${who} bash, dash or zsh (chsh -s /bin/bash)`,
    };
  }
  const facts = await runRemote(t, PROBE_PROGRAM, tools, 30_000);
  if (facts.code !== 0)
    return { id: w.id, reachable: false, error: `probe command failed (exit ${facts.code})` };
  const kv = new Map(
    facts.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const tab = l.indexOf("\t");
        return [l.slice(0, tab), l.slice(tab + 1)] as const;
      }),
  );
  const cpus = Number(kv.get("cpus"));
  return {
    id: w.id,
    reachable: true,
    usable: true,
    connectMs: Math.round(m.ms),
    latencyMs: Math.round(Math.min(...trips) * 10) / 10,
    slots: w.total_slots,
    os: kv.get("os") ?? "?",
    cpus: Number.isFinite(cpus) && cpus > 0 ? cpus : null,
    flock: kv.get("locks") === "flock",
    samePath: kv.get("samepath") === "yes" ? { ok: true } : { ok: false, why: kv.get("samepath") || "no" },
    tools: Object.fromEntries(tools.map((tool) => [tool, version(kv.get(tool))])),
  };
}
