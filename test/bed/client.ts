// Client side of the bed: the files and ssh argv a test (or rch) uses to reach the workers.
import { writeFileSync } from "node:fs";
import { stringify } from "smol-toml";
import * as v from "valibot";
import { type WorkerConfig, workerSchema } from "../../src/config/schema.ts";
import type { BedWorker } from "./types.ts";

/** Options that make the system ssh behave the same on every machine: no user/system ssh_config
 * (-F none), only our key (an agent's keys could exhaust MaxAuthTries), strict host checking. */
export function sshOptions(w: BedWorker, opts: { mux?: boolean } = {}): string[] {
  const args = [
    "-F",
    "none",
    "-p",
    String(w.port),
    "-i",
    w.identityFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${w.knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=5",
  ];
  // A master per worker makes each further command ~8 ms instead of ~200 ms.
  if (opts.mux) {
    args.push("-o", "ControlMaster=auto", "-o", "ControlPersist=60", "-o", `ControlPath=${w.controlDir}/%C`);
  }
  return args;
}

/** `ssh` options plus the destination: `["ssh", ...sshArgs(w), "cmd"]`. */
export function sshArgs(w: BedWorker, opts: { mux?: boolean } = {}): string[] {
  return [...sshOptions(w, opts), `${w.user}@${w.host}`];
}

/** The remote shell for `rsync -e` (rsync splits it on spaces; bed paths have none). */
export function rsyncRsh(w: BedWorker, opts: { mux?: boolean } = {}): string {
  return ["ssh", ...sshOptions(w, opts)].join(" ");
}

export function writeKnownHosts(file: string, workers: readonly BedWorker[]): void {
  writeFileSync(file, workers.map((w) => `[${w.host}]:${w.port} ${w.hostKeyPub}\n`).join(""));
}

export function writeSshConfig(file: string, workers: readonly BedWorker[]): void {
  const blocks = workers.map((w) =>
    [
      `Host ${w.id}`,
      `  HostName ${w.host}`,
      `  Port ${w.port}`,
      `  User ${w.user}`,
      `  IdentityFile ${w.identityFile}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${w.knownHostsFile}`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  writeFileSync(file, blocks.join("\n"));
}

export type TomlExtra = Record<string, unknown> | ((w: BedWorker) => Record<string, unknown>);

/** workers.toml text as rch reads it (src/config/schema.ts workerSchema); `extra` adds or
 * overrides keys on every entry, or per entry when it is a function. min_free_gb is 0: the bed's
 * workers share one 4 GiB tmpfs, which rch's default floor (10 GB) would refuse; disk-space
 * tests set their own (with a `rootSize` tmpfs per worker). */
export function workersToml(workers: readonly BedWorker[], extra: TomlExtra = {}): string {
  return stringify({
    workers: workers.map((w) => ({ ...entryOf(w), ...(typeof extra === "function" ? extra(w) : extra) })),
  });
}

/** One workers.toml entry for a bed worker: what rch needs to reach it. */
function entryOf(w: BedWorker): Record<string, unknown> {
  return {
    id: w.id,
    host: w.host,
    port: w.port,
    user: w.user,
    identity_file: w.identityFile,
    total_slots: w.totalSlots,
    priority: w.priority,
    remote_root: w.remoteRoot,
    min_free_gb: 0,
  };
}

/** A bed worker as rch's config holds it (defaults filled by the schema, min_free_gb 0 as in
 * workersToml); `over` sets other keys (total_slots, min_free_gb…). */
export function workerConfig(w: BedWorker, over: Record<string, unknown> = {}): WorkerConfig {
  return v.parse(workerSchema, { ...entryOf(w), ...over });
}
