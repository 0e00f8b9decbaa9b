// Shared fixtures for the daemon suite: an isolated rch environment (config, cache, state and
// socket under one short /tmp dir), a real `rch daemon run` process, and in-process clients.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { stringify } from "smol-toml";
import { DaemonClient } from "../../src/client/admin.ts";
import { Connection } from "../../src/client/connection.ts";
import { createDaemonSelector, type DaemonSelector } from "../../src/client/daemonSelector.ts";
import type { ClientOptions } from "../../src/client/link.ts";
import { type Config, defaultConfig } from "../../src/config/schema.ts";
import { type DaemonPaths, daemonPaths } from "../../src/protocol/paths.ts";
import type { Fleet } from "../bed/fleet.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const BUN = process.execPath;
export const RCH = [BUN, join(REPO, "src/bin/rch.ts")];
export const DAEMON_ARGV = [...RCH, "daemon", "run"];

export interface RchEnv {
  dir: string;
  env: Record<string, string>;
  config: Config;
  paths: DaemonPaths;
  /** (Re)writes config.toml: [daemon]/[ssh] overrides merged over the suite's fast defaults. */
  writeConfig(over?: {
    daemon?: Partial<Config["daemon"]>;
    ssh?: Partial<Config["ssh"]>;
    gc?: Partial<Config["gc"]>;
    logLevel?: Config["general"]["log_level"];
  }): void;
  writeWorkers(toml: string): void;
  cleanup(): void;
}

/** Small intervals so circuit and lease behaviour shows within a test's budget. */
export const FAST_DAEMON: Partial<Config["daemon"]> = {
  heartbeat_interval_s: 1,
  circuit_failure_threshold: 2,
  circuit_cooldown_s: 1,
  slot_wait_ms: 2000,
};

export function makeEnv(fleet?: Fleet): RchEnv {
  const dir = mkdtempSync("/tmp/rchd-"); // short: unix socket paths are limited to 108 bytes
  const cfgDir = join(dir, "cfg");
  mkdirSync(cfgDir);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(dir, "home"),
    RCH_CONFIG_DIR: cfgDir,
    RCH_CACHE_DIR: join(dir, "cache"),
    RCH_STATE_DIR: join(dir, "state"),
  };
  if (fleet) {
    const sshCfg = join(dir, "ssh_config");
    writeFileSync(
      sshCfg,
      `Host *\n  UserKnownHostsFile ${fleet.knownHostsFile}\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n`,
    );
    env.RCH_SSH_CONFIG = sshCfg;
  }
  const socket = join(dir, "run", "rch.sock");
  const config = defaultConfig();
  config.general.socket_path = socket;
  const rch: RchEnv = {
    dir,
    env,
    config,
    paths: {
      ...daemonPaths(socket),
      log: join(dir, "state", "rchd.log"),
      db: join(dir, "state", "rchd.sqlite"),
    },
    writeConfig(over = {}) {
      Object.assign(config.daemon, FAST_DAEMON, over.daemon);
      Object.assign(config.ssh, { connect_timeout_s: 2 }, over.ssh);
      Object.assign(config.gc, over.gc);
      const doc = {
        general: { socket_path: socket, log_level: over.logLevel ?? "debug" },
        daemon: config.daemon,
        ssh: config.ssh,
        ...(over.gc ? { gc: config.gc } : {}),
      };
      writeFileSync(join(cfgDir, "config.toml"), stringify(doc));
    },
    writeWorkers(toml) {
      writeFileSync(join(cfgDir, "workers.toml"), toml);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  rch.writeConfig();
  return rch;
}

export interface DaemonProc {
  proc: Subprocess;
  pid: number;
  /** Everything the daemon logged so far. */
  log(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export async function canConnect(paths: DaemonPaths): Promise<boolean> {
  try {
    (await Connection.open(paths.socket, { connectTimeoutMs: 500 })).close();
    return true;
  } catch {
    return false;
  }
}

/** Starts `rch daemon run` in the foreground and waits until its socket answers hello. */
export async function startDaemon(rch: RchEnv, extra: string[] = []): Promise<DaemonProc> {
  const proc = spawn([...DAEMON_ARGV, ...extra], { env: rch.env, stdout: "pipe", stderr: "pipe" });
  let text = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += new TextDecoder().decode(chunk);
  };
  void drain(proc.stdout as ReadableStream<Uint8Array>);
  void drain(proc.stderr as ReadableStream<Uint8Array>);
  await waitFor("the daemon socket", () => canConnect(rch.paths), 10_000).catch((e) => {
    proc.kill("SIGKILL");
    throw new Error(`${(e as Error).message}; daemon output:\n${text}`);
  });
  const ended = async (sig: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await proc.exited;
    clearTimeout(timer);
  };
  return { proc, pid: proc.pid, log: () => text, stop: () => ended("SIGTERM"), kill: () => ended("SIGKILL") };
}

export function selector(rch: RchEnv, opts: ClientOptions = {}): DaemonSelector {
  return createDaemonSelector({ config: rch.config, autoStart: false, daemonArgv: DAEMON_ARGV, ...opts });
}

export function admin(rch: RchEnv): DaemonClient {
  return new DaemonClient({ config: rch.config, autoStart: false, daemonArgv: DAEMON_ARGV });
}

let jobCounter = 0;

/** A select request; each call is a distinct job (unique sourceState) unless told otherwise,
 * so tests that are not about dedup never attach to each other by accident. */
export function job(over: Partial<Parameters<DaemonSelector["select"]>[0]> = {}) {
  return {
    projectRoot: "/p/alpha",
    kind: "make",
    argv: ["make", "all"],
    env: {},
    sourceState: `s${process.pid}-${jobCounter++}`,
    preferredWorkers: [],
    ...over,
  };
}

/** Runs the rch CLI (from source) in the test environment. */
export async function rchCli(rch: RchEnv, args: string[], timeoutMs = 20_000) {
  const proc = spawn([...RCH, ...args], { env: rch.env, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Slot usage per worker from the daemon's status. */
export async function usedSlots(rch: RchEnv): Promise<Record<string, number>> {
  const c = admin(rch);
  try {
    const s = await c.status(0);
    return Object.fromEntries(s.workers.map((w) => [w.id, w.usedSlots]));
  } finally {
    c.close();
  }
}

export function fakeWorkersToml(n: number, slots = 4, extra: Record<string, unknown> = {}): string {
  const workers = Array.from({ length: n }, (_, i) => ({
    id: `f${i + 1}`,
    host: "127.0.0.1",
    port: 1,
    total_slots: slots,
    ...extra,
  }));
  return stringify({ workers });
}

/** Stops a daemon that is not our child (auto-started) by its pid file, and waits until it is
 * gone, so nothing writes into the environment after cleanup() removed it. */
export async function stopByPidFile(rch: RchEnv, sig: NodeJS.Signals = "SIGTERM"): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(rch.paths.pid, "utf8"));
  } catch {
    return;
  }
  if (!(pid > 0)) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, sig);
  } catch {
    return;
  }
  await waitFor(`rchd ${pid} to exit`, () => !alive(), 5000).catch(() => process.kill(pid, "SIGKILL"));
}
