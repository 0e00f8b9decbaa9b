// `rch toolchain sync`: make a worker hold the Rust toolchain a build here would use, so builds
// that need it become eligible there. A rustup toolchain dir is relocatable (its binaries find
// their libraries relative to themselves), so a copy of it runs wherever the OS, the CPU
// architecture and a glibc new enough exist — checked first, then proven by running the copy.
//
// What is copied: the toolchain dir without share/doc (the HTML docs: 796 MB of its 1.4 GB and
// 52,000 of its 53,500 files here; builds never read them). Into <remote_root>/.rch/toolchains/
// <rust-release-commit9-host> on the worker (src/worker/toolchain-sync.sh), through a dot-named
// partial dir renamed into place once verified, so a build never sees half a toolchain. A second
// sync of an unchanged toolchain compares sizes and mtimes and sends nothing but the file list.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { remoteRootArg } from "../ssh/gc.ts";
import { ensureMaster } from "../ssh/master.ts";
import { type SshTarget, sshTarget } from "../ssh/options.ts";
import { runRemote } from "../ssh/remote.ts";
import { TOOLCHAIN_SYNC_PROGRAM } from "../worker/programs.ts";
import type { LocalRust } from "./localRust.ts";
import { baseArgs, remoteSpec, runRsync } from "./rsync.ts";

/** Not copied: documentation nobody's build reads (see the header). */
const EXCLUDES = ["/share/doc/"];
/** ~600 MB over a slow link: the first copy may take long. rsync's own --timeout cuts a stall. */
const COPY_DEADLINE_MS = 60 * 60_000;
const STEP_DEADLINE_MS = 60_000;

export type SyncOutcome =
  | { ok: true; worker: string; name: string; action: "placed" | "updated"; sentBytes: number; ms: number }
  | { ok: false; worker: string; name: string; reason: string };

/** Whether this machine's toolchain can run on a worker with these facts (undefined: it can). */
export function incompatibility(local: LocalRust, facts: ReadonlyMap<string, string>): string | undefined {
  const os = facts.get("os");
  if (os !== local.os) return `the worker is ${os ?? "unknown"}, this machine ${local.os}`;
  if (local.host.endsWith("-gnu") && !facts.get("libc")?.startsWith("glibc ")) {
    return `${local.host} needs glibc, and the worker has ${facts.get("libc") ?? "an unknown libc"}`;
  }
  return undefined;
}

/** The bytes rsync sent, from its --stats ("Total bytes sent: 1,234"). */
export function sentBytes(stats: string): number {
  const m = /Total bytes sent: ([\d,.]+)/.exec(stats);
  return m ? Number(m[1]!.replace(/[,.]/g, "")) : 0;
}

export async function syncToolchain(
  w: WorkerConfig,
  config: Config,
  local: LocalRust,
  signal?: AbortSignal,
): Promise<SyncOutcome> {
  const t0 = performance.now();
  const fail = (reason: string): SyncOutcome => ({ ok: false, worker: w.id, name: local.name, reason });
  const t = sshTarget(w, config.ssh);
  const m = await ensureMaster(t);
  if (!m.ok) return fail(m.reason);
  const step = (s: string) =>
    runRemote(
      t,
      TOOLCHAIN_SYNC_PROGRAM,
      [remoteRootArg(w.remote_root), local.name, s],
      STEP_DEADLINE_MS,
      signal,
    );
  const f = await step("facts");
  if (f.code !== 0) return fail(`cannot prepare the toolchain dir: ${lastLine(f.stderr, f.code)}`);
  const facts = parseFacts(f.stdout);
  const why = incompatibility(local, facts);
  if (why) return fail(`cannot run this machine's toolchain there: ${why}`);
  const have = facts.get("have") === "yes";
  const dest = `${facts.get("dir")}/${have ? local.name : `.${local.name}.partial`}/`;
  const copy = await runRsync(copyArgv(t, config, local.dir, dest), COPY_DEADLINE_MS, signal);
  if (!copy.ok) return fail(copy.reason);
  const v = await step("verify");
  const expected = local.verbose + local.cargo;
  if (v.code !== 0 || v.stdout !== expected) {
    return fail(`the copy does not run as this machine's does: ${lastLine(v.stdout + v.stderr, v.code)}`);
  }
  if (!have) {
    const p = await step("place");
    if (p.code !== 0) return fail(`cannot put the copy in place: ${lastLine(p.stderr, p.code)}`);
  }
  const ms = performance.now() - t0;
  return {
    ok: true,
    worker: w.id,
    name: local.name,
    action: have ? "updated" : "placed",
    sentBytes: sentBytes(copy.stats),
    ms,
  };
}

function copyArgv(t: SshTarget, config: Config, dir: string, dest: string): string[] {
  return [
    ...baseArgs({ target: t, compressionLevel: config.transfer.compression_level }),
    "--delete",
    "--stats",
    ...EXCLUDES.map((p) => `--exclude=${p}`),
    `${dir}/`,
    remoteSpec(t, dest),
  ];
}

function parseFacts(stdout: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) kv.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return kv;
}

function lastLine(text: string, code: number): string {
  return text.trim().split("\n").at(-1)?.trim() || `exit ${code}`;
}
