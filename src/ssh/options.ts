// OpenSSH argv for one worker. Every ssh rch runs (master, build, kill, probe, rsync's -e) uses
// these options, so they all share the worker's one master connection.
//
// The user's ~/.ssh/config is honoured (no -F), so `host` may be an alias. RCH_SSH_CONFIG names
// an ssh_config to use instead (`-F`): tests point it at the bed's client config; production
// leaves it unset.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, expandHome } from "../config/paths.ts";
import type { Config, WorkerConfig } from "../config/schema.ts";

export type SshSettings = Config["ssh"];

/** sun_path is 108 bytes on Linux (104 on BSD); ssh appends a 17-byte temp suffix while binding. */
const MAX_SOCKET_PATH = 100 - 17;
const NAME_LEN = 24; // hex digits of our own socket name (see controlPath)

/**
 * Directory of the master sockets: <cache>/ssh, or /tmp/rch-<uid> when the cache path is too long
 * for a unix socket. Created 0700: whoever can reach a master socket can run commands as us.
 */
export function controlDir(): string {
  const preferred = join(cacheDir(), "ssh");
  const dir =
    preferred.length + 1 + NAME_LEN <= MAX_SOCKET_PATH ? preferred : `/tmp/rch-${process.getuid?.() ?? 0}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface SshTarget {
  worker: WorkerConfig;
  settings: SshSettings;
  /** ssh_config file for -F (RCH_SSH_CONFIG), when set. */
  configFile?: string;
  controlDir: string;
}

export function sshTarget(worker: WorkerConfig, settings: SshSettings, env = process.env): SshTarget {
  const t: SshTarget = { worker, settings, controlDir: controlDir() };
  if (env.RCH_SSH_CONFIG) t.configFile = env.RCH_SSH_CONFIG;
  return t;
}

/**
 * The master's socket. Named by rch (a hash of everything that selects the connection) rather
 * than ssh's %C, so rch can tell whether a master is up by connecting to the socket itself,
 * without starting an ssh process (`ssh -O check` costs ~5–10 ms; this ~0.2 ms).
 */
export function controlPath(t: SshTarget): string {
  const w = t.worker;
  const id = JSON.stringify([w.host, w.port, w.user ?? "", w.identity_file ?? "", t.configFile ?? ""]);
  return join(t.controlDir, new Bun.CryptoHasher("sha256").update(id).digest("hex").slice(0, NAME_LEN));
}

/** Options only (no program name, no destination). */
export function sshOptions(t: SshTarget): string[] {
  const { worker: w, settings: s } = t;
  const args: string[] = [];
  if (t.configFile) args.push("-F", t.configFile);
  args.push(
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPersist=${s.control_persist_s}`,
    "-o",
    `ControlPath=${controlPath(t)}`,
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${s.connect_timeout_s}`,
    "-o",
    `ServerAliveInterval=${s.server_alive_interval_s}`,
    "-o",
    "ServerAliveCountMax=3",
    "-o",
    `StrictHostKeyChecking=${s.strict_host_key_checking}`,
    // "Permanently added … to the list of known hosts" is not something an agent should read.
    "-o",
    "LogLevel=ERROR",
  );
  if (w.port !== 22) args.push("-p", String(w.port));
  if (w.identity_file) args.push("-i", expandHome(w.identity_file), "-o", "IdentitiesOnly=yes");
  if (w.user) args.push("-l", w.user);
  return args;
}

/** The destination word: the host (or ssh_config alias); the user travels as -l. */
export function destination(t: SshTarget): string {
  return t.worker.host;
}

/** ["ssh", ...options, host]: append the remote command string. */
export function sshArgv(t: SshTarget): string[] {
  return ["ssh", ...sshOptions(t), destination(t)];
}

const rsyncSafe = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for rsync's own -e splitting: spaces separate, '…' protects, '' is a quote inside. */
export function rsyncQuote(word: string): string {
  return word.length > 0 && rsyncSafe.test(word) ? word : `'${word.replace(/'/g, "''")}'`;
}

/** The -e value for rsync: the same ssh options, so rsync rides the master. */
export function rsyncRsh(t: SshTarget): string {
  return ["ssh", ...sshOptions(t)].map(rsyncQuote).join(" ");
}
