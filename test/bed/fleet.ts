// startFleet(): N real SSH workers on 127.0.0.1, each an unprivileged sshd with its own user,
// home, port and tmpfs project root. See test/bed/README.md.
import { randomBytes } from "node:crypto";
import { chownSync, lchownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  rsyncRsh,
  sshArgs,
  sshOptions,
  type TomlExtra,
  workersToml,
  writeKnownHosts,
  writeSshConfig,
} from "./client.ts";
import { checkHost } from "./preflight.ts";
import { killAll, must, pidStartTime } from "./proc.ts";
import { launchSshd, PortInUseError, type SshdSpec, writeHostKey, writeSshdConfig } from "./sshd.ts";
import { createUser, freePort, mountTmpfs, mountTmpfsAs, passwd } from "./system.ts";
import { type Owner, reapStale, SCRATCH_PARENT, teardown, userPrefix } from "./teardown.ts";
import {
  killingTool,
  otherCc,
  provisionToolchains,
  rustupHome,
  sessionPath,
  systemPathWithout,
} from "./toolchains.ts";
import type { BedWorker, Fleet, FleetOptions, Toolchain, WorkerSpec } from "./types.ts";

export type { BedWorker, Fleet, FleetOptions, Toolchain, WorkerSpec };
export { rsyncRsh, sshArgs, sshOptions };

/** Claims a fresh /tmp/rchbed-<hex> (mkdir is the atomic claim) whose user prefix is unused. */
function claimDir(persistent: boolean): { id: string; dir: string } {
  for (let i = 0; i < 50; i++) {
    const id = randomBytes(2).toString("hex");
    const dir = join(SCRATCH_PARENT, `rchbed-${id}`);
    if (passwd().some((e) => e.name.startsWith(userPrefix(id)))) continue;
    try {
      mkdirSync(dir, { mode: 0o755 });
    } catch {
      continue; // taken by another fleet
    }
    const owner: Owner = {
      pid: process.pid,
      start: pidStartTime(process.pid),
      persistent,
      createdAt: new Date().toISOString(),
    };
    writeFileSync(join(dir, "owner.json"), `${JSON.stringify(owner)}\n`);
    return { id, dir };
  }
  throw new Error("test bed: could not claim a fleet id in /tmp after 50 tries");
}

function mkdirOwned(path: string, mode: number, uid = 0): void {
  mkdirSync(path, { recursive: true, mode });
  chownSync(path, uid, uid);
}

function normalizeSpecs(workers: number | WorkerSpec[]): WorkerSpec[] {
  const specs = typeof workers === "number" ? Array.from({ length: workers }, () => ({})) : workers;
  if (specs.length < 1) throw new Error("test bed: a fleet needs at least one worker");
  return specs;
}

/** Starts sshd on a free port, choosing another if someone grabbed it in between. */
async function launchOnFreePort(spec: SshdSpec, pubKey: string, taken: Set<number>): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    spec.port = freePort(taken);
    taken.add(spec.port);
    writeSshdConfig(spec, pubKey);
    try {
      return await launchSshd(spec);
    } catch (e) {
      if (!(e instanceof PortInUseError) || attempt >= 4) throw e;
    }
  }
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  checkHost();
  const specs = normalizeSpecs(opts.workers);
  const fleetTools: Toolchain[] = opts.toolchains ?? ["rust", "bun", "cc"];
  await reapStale();
  const { id, dir } = claimDir(opts.persistent ?? false);
  const sshd = new Map<string, SshdSpec>();
  const workers: BedWorker[] = [];
  try {
    const client = join(dir, "client");
    mkdirOwned(client, 0o700);
    mkdirOwned(join(dir, "cm"), 0o700);
    mkdirOwned(join(dir, "logs"), 0o755);
    const fs = join(dir, "fs");
    mkdirOwned(fs, 0o755);
    // tmpfs before any sshd: ext4 here is 3–10× slower right after deletes.
    await mountTmpfs(fs, opts.tmpfsMiB ?? 4096);
    mkdirOwned(join(fs, "homes"), 0o755);
    mkdirOwned(join(fs, "roots"), 0o755);
    const identityFile = join(client, "id_ed25519");
    const keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `rchbed-${id}`, "-f", identityFile];
    const [toolDirs] = await Promise.all([
      provisionToolchains(join(fs, "tc"), fleetTools, {
        nightly: specs.some((s) => s.rust === "nightly" || s.rustup?.includes("nightly")),
        rustup: specs.some((s) => s.rustup !== undefined),
      }),
      must(keygen, { timeoutMs: 10_000 }),
    ]);
    const pubKey = await Bun.file(`${identityFile}.pub`).text();
    const ids = new Set<string>();
    for (const [i, spec] of specs.entries()) {
      const wid = spec.id ?? `w${i + 1}`;
      if (ids.has(wid)) throw new Error(`test bed: duplicate worker id '${wid}'`);
      ids.add(wid);
      const user = `${userPrefix(id)}${i + 1}`;
      const home = join(fs, "homes", user);
      const uid = await createUser(user, home); // sequential: useradd serialises on /etc/passwd anyway
      const remoteRoot = join(fs, "roots", user);
      mkdirOwned(remoteRoot, 0o755, uid);
      // Before the sshd starts, like every mount of the bed (teardown unmounts it, deepest first).
      if (spec.rootSize) await mountTmpfsAs(remoteRoot, spec.rootSize, uid);
      const configDir = join(home, ".rch-sshd");
      mkdirOwned(configDir, 0o700, uid);
      const want = spec.toolchains ?? true;
      const tools =
        want === true ? fleetTools : want === false ? [] : want.filter((t) => fleetTools.includes(t));
      // Which Rust this worker runs: the fleet's stable (default), its nightly, or a rustup home.
      let dirs = toolDirs;
      if (spec.rust === "nightly" && toolDirs.rust)
        dirs = { ...toolDirs, rust: join(fs, "tc", "rust-nightly", "bin") };
      if (spec.rustup && toolDirs.rust) {
        const bin = rustupHome(home, join(fs, "tc"), spec.rustup, (p) => lchownSync(p, uid, uid));
        dirs = { ...toolDirs, rust: bin };
      }
      let sessions = spec.withoutCommands?.length
        ? sessionPath(dirs, tools, systemPathWithout(join(fs, "tc", `bin-${wid}`), spec.withoutCommands))
        : sessionPath(dirs, tools);
      if (spec.cc) sessions = `${otherCc(join(fs, "tc", `cc-${wid}`), spec.cc)}:${sessions}`;
      if (spec.killingTool)
        sessions = `${killingTool(join(fs, "tc", `kill-${wid}`), spec.killingTool)}:${sessions}`;
      const s: SshdSpec = {
        user,
        uid,
        home,
        port: 0,
        configDir,
        logFile: join(dir, "logs", `${user}.sshd.log`),
        sessionPath: sessions,
        cpus: spec.cpus,
        detached: opts.persistent ?? false,
        ...(spec.noNamespaces ? { noNamespaces: true } : {}),
      };
      sshd.set(wid, s);
      workers.push({
        id: wid,
        user,
        uid,
        host: "127.0.0.1",
        port: 0,
        identityFile,
        knownHostsFile: join(client, "known_hosts"),
        controlDir: join(dir, "cm"),
        home,
        remoteRoot,
        sshdPid: 0,
        hostKeyPub: "",
        toolchains: [...tools.filter((t) => t !== "cc"), "cc"], // gcc is in /usr/bin for everyone
        totalSlots: spec.totalSlots ?? 4,
        priority: spec.priority ?? 100,
        sshdLog: s.logFile,
      });
    }
    const taken = new Set<number>();
    await Promise.all(
      workers.map(async (w) => {
        const s = sshd.get(w.id)!;
        w.hostKeyPub = await writeHostKey(s);
        w.sshdPid = await launchOnFreePort(s, pubKey, taken);
        w.port = s.port;
      }),
    );
    return makeFleet(id, dir, workers, sshd, pubKey);
  } catch (e) {
    await teardown(
      dir,
      workers.map((w) => w.sshdPid).filter((p) => p > 0),
    ).catch(() => {});
    throw e;
  }
}

function makeFleet(
  id: string,
  dir: string,
  workers: BedWorker[],
  sshd: Map<string, SshdSpec>,
  pubKey: string,
): Fleet {
  const client = join(dir, "client");
  let stopped = false;
  const worker = (wid: string): BedWorker => {
    const w = workers.find((x) => x.id === wid);
    if (!w)
      throw new Error(
        `test bed: no worker '${wid}' in fleet ${id} (have ${workers.map((x) => x.id).join(", ")})`,
      );
    return w;
  };
  const fleet: Fleet = {
    id,
    dir,
    identityFile: join(client, "id_ed25519"),
    knownHostsFile: join(client, "known_hosts"),
    sshConfigFile: join(client, "ssh_config"),
    workers,
    worker,
    workersToml: (extra?: TomlExtra) => workersToml(workers, extra),
    writeClientFiles() {
      writeKnownHosts(fleet.knownHostsFile, workers);
      writeSshConfig(fleet.sshConfigFile, workers);
    },
    async stopWorker(wid) {
      const w = worker(wid);
      await killAll([w.sshdPid], [w.uid]);
    },
    async startWorker(wid, opts = {}) {
      const w = worker(wid);
      const s = sshd.get(wid)!;
      await killAll([w.sshdPid], [w.uid]); // restart semantics: a running worker is stopped first
      if (opts.newHostKey) w.hostKeyPub = await writeHostKey(s);
      if (opts.noNamespaces !== undefined) s.noNamespaces = opts.noNamespaces;
      writeSshdConfig(s, pubKey);
      w.sshdPid = await launchSshd(s); // same port: clients' config stays valid
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await teardown(
        dir,
        workers.map((w) => w.sshdPid),
      );
    },
  };
  fleet.writeClientFiles();
  return fleet;
}
