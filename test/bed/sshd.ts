// One worker = one unprivileged sshd (it accepts logins for its own user only, needs no
// /run/sshd and no root sshd), with its keys and config in the worker's home.
import { spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { SSHD } from "./preflight.ts";
import { must } from "./proc.ts";
import { withoutUserNamespaces } from "./userns.ts";

export interface SshdSpec {
  user: string;
  uid: number;
  home: string;
  port: number;
  /** $HOME/.rch-sshd: keys, config, authorized_keys; owned by the user (StrictModes yes holds). */
  configDir: string;
  logFile: string;
  /** PATH of every session, set with SetEnv: decides which toolchains the worker "has". */
  sessionPath: string;
  /** taskset CPU list, e.g. "1": every session inherits it (nproc = 1 inside). */
  cpus?: string;
  /** setsid, so the sshd outlives a CLI that exits and ignores the terminal's Ctrl-C. */
  detached: boolean;
  /** Its sessions cannot create user (or mount) namespaces (userns.ts). */
  noNamespaces?: boolean;
}

export class PortInUseError extends Error {}

export const READY_TIMEOUT_MS = 5000;

/** (Re)generates the worker's ed25519 host key; returns the public key as "type base64". */
export async function writeHostKey(spec: SshdSpec): Promise<string> {
  const key = join(spec.configDir, "ssh_host_ed25519_key");
  rmSync(key, { force: true }); // ssh-keygen would otherwise ask whether to overwrite
  rmSync(`${key}.pub`, { force: true });
  await must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `rchbed-${spec.user}`, "-f", key], {
    timeoutMs: 10_000,
  });
  chownSync(key, spec.uid, spec.uid);
  chownSync(`${key}.pub`, spec.uid, spec.uid);
  const [type, body] = readFileSync(`${key}.pub`, "utf8").trim().split(/\s+/);
  return `${type} ${body}`;
}

export function writeSshdConfig(spec: SshdSpec, clientPubKey: string): void {
  const dir = spec.configDir;
  const lines = [
    `Port ${spec.port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "ssh_host_ed25519_key")}`,
    "PidFile none",
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes yes",
    "PermitRootLogin no",
    `AllowUsers ${spec.user}`,
    "X11Forwarding no",
    "PrintMotd no",
    // Defaults (10, 10:30:100) refuse connections under a test suite's parallelism.
    "MaxSessions 64",
    "MaxStartups 64:30:128",
    `SetEnv PATH=${spec.sessionPath}`,
    "Subsystem sftp internal-sftp",
  ];
  writeFileSync(join(dir, "sshd_config"), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, "authorized_keys"), clientPubKey);
  for (const f of ["sshd_config", "authorized_keys"]) {
    chownSync(join(dir, f), spec.uid, spec.uid);
    chmodSync(join(dir, f), 0o600);
  }
}

/** Starts sshd and resolves with its PID once it logs "Server listening". setpriv and taskset
 * exec, so the spawned PID is the sshd listener itself. */
export async function launchSshd(spec: SshdSpec): Promise<number> {
  const fd = openSync(spec.logFile, "a");
  const offset = statSync(spec.logFile).size; // only this start's lines count for readiness
  const argv = [
    ...(spec.cpus ? ["taskset", "-c", spec.cpus] : []),
    "setpriv",
    `--reuid=${spec.user}`,
    `--regid=${spec.user}`,
    "--init-groups",
  ];
  const sshd = [SSHD, "-D", "-e", "-f", join(spec.configDir, "sshd_config")];
  argv.push(...(spec.noNamespaces ? withoutUserNamespaces(sshd) : sshd));
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", fd, fd],
    detached: spec.detached,
    env: { HOME: spec.home, USER: spec.user, LOGNAME: spec.user, PATH: "/usr/sbin:/usr/bin:/bin" },
  });
  closeSync(fd);
  child.unref(); // a test file or the CLI must be able to exit while workers run
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  child.once("error", () => {
    exited = true;
  });
  const pid = child.pid;
  const ready = `Server listening on 127.0.0.1 port ${spec.port}.`;
  const end = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const log = readFileSync(spec.logFile, "utf8").slice(offset);
    if (pid !== undefined && log.includes(ready)) return pid;
    if (exited || pid === undefined) {
      if (log.includes("Address already in use")) throw new PortInUseError(log.trim());
      throw new Error(`test bed: sshd for ${spec.user} exited at start: ${log.trim() || "(no output)"}`);
    }
    if (Date.now() > end) {
      child.kill("SIGKILL");
      throw new Error(
        `test bed: sshd for ${spec.user} on 127.0.0.1:${spec.port} not listening after ${READY_TIMEOUT_MS} ms; log: ${log.trim() || "(empty)"}`,
      );
    }
    await Bun.sleep(5);
  }
}
