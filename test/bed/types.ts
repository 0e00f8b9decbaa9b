import type { TomlExtra } from "./client.ts";
import type { Toolchain } from "./preflight.ts";

export type { Toolchain };

export interface BedWorker {
  /** rch worker id (workers.toml `id`, ssh_config Host alias): "w1", "w2", … unless given. */
  id: string;
  /** Unix user the worker's sshd runs as and accepts: rchb<fleet hex>w<N>. */
  user: string;
  uid: number;
  host: "127.0.0.1";
  port: number;
  /** The fleet's client private key (one for all workers). */
  identityFile: string;
  knownHostsFile: string;
  /** Directory for ControlPath sockets (sshArgs(w, { mux: true })); closed by stop(). */
  controlDir: string;
  home: string;
  /** Per-worker project root on the fleet's tmpfs (or on a tmpfs of its own: `rootSize`), owned
   * by the worker user. */
  remoteRoot: string;
  /** PID of the sshd listener (changes on startWorker). */
  sshdPid: number;
  /** "ssh-ed25519 AAAA…" (changes on startWorker({ newHostKey: true })). */
  hostKeyPub: string;
  /** Toolchains on the sessions' PATH. gcc/make/cmake are system-wide: every worker has them. */
  toolchains: Toolchain[];
  totalSlots: number;
  priority: number;
  sshdLog: string;
}

export interface WorkerSpec {
  id?: string;
  /** true (default): all toolchains of the fleet; false: none (rust and bun absent from PATH);
   * or a subset. "cc" cannot be withheld: gcc lives in /usr/bin. */
  toolchains?: boolean | Toolchain[];
  totalSlots?: number;
  priority?: number;
  /** taskset CPU list for the worker's sshd and every session (e.g. "0" = a one-core worker). */
  cpus?: string;
  /** A dedicated tmpfs of this size as the worker's remote_root (a mount `size=`, e.g. "64m"),
   * so its disk can fill up without touching the other workers' (disk-space tests). */
  rootSize?: string;
  /** System commands missing from the sessions' PATH (e.g. ["flock"]: a worker without it). */
  withoutCommands?: string[];
  /** true: its sessions cannot create user namespaces, by the kernel's limit (test/bed/userns.ts),
   * so builds there cannot run at the project's own path (rch's mapped mode). */
  noNamespaces?: boolean;
  /** Which real Rust toolchain its PATH gives it (default "stable", the machine's rustup stable;
   * "nightly": the machine's rustup nightly instead), when it has the "rust" toolchain. */
  rust?: "stable" | "nightly";
  /** A rustup layout instead of a PATH toolchain: `~/.rustup/toolchains/<name>-<host>` (links to
   * the machine's), settings.toml with the first as default, and the real `rustup` as
   * `~/.cargo/bin/{rustup,cargo,rustc}` first on PATH. */
  rustup?: ("stable" | "nightly")[];
  /** Another real C compiler as its `cc` and `gcc`: Debian's gcc-11 (scripts/setup.sh installs it)
   * first on its PATH, where everyone else's is the machine's gcc 12. */
  cc?: "gcc-11";
  /** A command of this name first on its PATH that kills its whole session (SIGKILL to its
   * process group) when run: a connection that drops, every time, at the moment anything on the
   * worker runs that tool (e.g. "meson": the toolchain probe's tools half, never its Rust half). */
  killingTool?: string;
}

export interface FleetOptions {
  /** A count (all alike) or one spec per worker. */
  workers: number | WorkerSpec[];
  /** Toolchains provisioned for the fleet (default: rust, bun, cc). A requested one that the
   * host lacks is an Error, never a silent downgrade. */
  toolchains?: Toolchain[];
  /** Size cap of the fleet's tmpfs (homes, remote roots), MiB; default 4096 (used lazily). */
  tmpfsMiB?: number;
  /** Keep running after this process exits (CLI `up`): never reaped as stale. */
  persistent?: boolean;
}

export interface Fleet {
  /** 4 hex digits, unique among live fleets on this host. */
  id: string;
  /** Scratch root: /tmp/rchbed-<id>. */
  dir: string;
  identityFile: string;
  /** Holds every worker's current host key as "[127.0.0.1]:PORT key" (see writeKnownHosts). */
  knownHostsFile: string;
  /** Host entries per worker id, for `ssh -F sshConfigFile w1`. */
  sshConfigFile: string;
  workers: BedWorker[];
  worker(id: string): BedWorker;
  workersToml(extra?: TomlExtra): string;
  /** Kills the worker's sshd and all its sessions (every process of its uid), by PID. */
  stopWorker(id: string): Promise<void>;
  /** (Re)starts the worker on the same port. newHostKey: clients holding the old known_hosts
   * then get "REMOTE HOST IDENTIFICATION HAS CHANGED". noNamespaces: as WorkerSpec's, from now
   * on (a worker that lost its namespaces since rchd's last heartbeat). */
  startWorker(id: string, opts?: { newHostKey?: boolean; noNamespaces?: boolean }): Promise<void>;
  /** Rewrites knownHostsFile and sshConfigFile from the workers' current keys and ports. */
  writeClientFiles(): void;
  /** Stops everything this fleet started, by PID; unmounts; deletes its users and scratch. */
  stop(): Promise<void>;
}
