// The worker registry: configuration from workers.toml plus what the daemon learned at run time
// (health, circuit, slots in use, speed, drained). A reload keeps the learned state of every
// worker whose connection data did not change, so editing one entry never resets the others.
import type { Config, WorkerConfig } from "../config/schema.ts";
import type { HealthState, WorkerStatus } from "../protocol/status.ts";
import type { WorkerToolchains } from "../protocol/toolchains.ts";
import { Circuit } from "./circuit.ts";
import { newShare, type ShareState } from "./share.ts";
import type { SpeedRecord } from "./store.ts";

export interface WorkerState {
  config: WorkerConfig;
  circuit: Circuit;
  health: HealthState;
  /** Slots held by leases. Only leases.ts changes it. */
  used: number;
  /** How the request being placed may use this worker's copy of its project: 0 free, 1 in use
   * by other builds (chosen after every free one), 2 not now. pickWithCopies sets it for the
   * length of one pickWorker call, so selection checks a field instead of a map per worker. */
  copyUse: 0 | 1 | 2;
  drained: boolean;
  latencyMs?: number;
  lastHeartbeatAt?: number;
  lastError?: string;
  speed?: SpeedRecord;
  /** Free and total space of remote_root's filesystem, from the last heartbeat or GC, and when
   * (daemon clock). Only disk.ts sets the disk fields; admission reads them (eligible.ts). */
  disk?: { availKb: number; totalKb: number; at: number };
  /** Whether the worker has flock(1) (unknown until the first heartbeat). */
  flock?: boolean;
  /** Whether it allows same-path builds (user + mount namespaces; unknown until a heartbeat). */
  samePath?: boolean;
  /** A build failed with ENOSPC there (at diskFullAt); cleared by the next reading of the disk
   * taken after that which shows space. */
  diskFull?: boolean;
  diskFullAt?: number;
  /** What other workstations hold there (share.ts). */
  share: ShareState;
  /** Its toolchain identities (toolchains.ts; undefined until the first probe answers), and the
   * heartbeat fingerprint they were probed under. */
  toolchains?: WorkerToolchains;
  toolchainsFp?: string;
}

function sameConnection(a: WorkerConfig, b: WorkerConfig): boolean {
  return a.host === b.host && a.port === b.port && a.user === b.user && a.identity_file === b.identity_file;
}

export class Fleet {
  private readonly byId = new Map<string, WorkerState>();
  /** byId's values as an array, rebuilt on update: selection walks it on every request. */
  private all: WorkerState[] = [];
  /** Workers removed from the config while leases still hold their slots. */
  private readonly retired = new Map<string, WorkerState>();

  constructor(private daemonCfg: Config["daemon"]) {}

  /** Applies a (re)loaded worker list; returns ids added and removed (for the health monitor). */
  update(
    configs: readonly WorkerConfig[],
    daemonCfg: Config["daemon"],
  ): { added: string[]; removed: string[] } {
    this.daemonCfg = daemonCfg;
    const added: string[] = [];
    const removed: string[] = [];
    const next = new Set(configs.map((c) => c.id));
    for (const [id, st] of this.byId) {
      if (next.has(id)) continue;
      this.byId.delete(id);
      removed.push(id);
      if (st.used > 0) this.retired.set(id, st);
    }
    for (const config of configs) {
      const old = this.byId.get(config.id) ?? this.retired.get(config.id);
      this.retired.delete(config.id);
      if (old && sameConnection(old.config, config)) {
        old.config = config;
        old.circuit.threshold = daemonCfg.circuit_failure_threshold;
        old.circuit.cooldownMs = daemonCfg.circuit_cooldown_s * 1000;
        this.byId.set(config.id, old);
        continue;
      }
      this.byId.set(config.id, {
        config,
        circuit: new Circuit(daemonCfg.circuit_failure_threshold, daemonCfg.circuit_cooldown_s * 1000),
        health: "unknown",
        used: old?.used ?? 0,
        copyUse: 0,
        drained: old?.drained ?? false,
        share: newShare(),
        ...(old?.speed ? { speed: old.speed } : {}),
      });
      if (old) removed.push(config.id); // connection changed: restart its heartbeat loop
      added.push(config.id);
    }
    this.all = [...this.byId.values()];
    return { added, removed };
  }

  get(id: string): WorkerState | undefined {
    return this.byId.get(id);
  }

  /** Including retired workers, for releasing their slots. */
  getAny(id: string): WorkerState | undefined {
    return this.byId.get(id) ?? this.retired.get(id);
  }

  list(): readonly WorkerState[] {
    return this.all;
  }

  /** Forgets a retired worker once its last lease is gone. */
  settle(id: string): void {
    const st = this.retired.get(id);
    if (st && st.used <= 0) this.retired.delete(id);
  }

  get heartbeatMs(): number {
    return this.daemonCfg.heartbeat_interval_s * 1000;
  }

  status(st: WorkerState): WorkerStatus {
    const c = st.config;
    const s: WorkerStatus = {
      id: c.id,
      host: c.host,
      port: c.port,
      totalSlots: c.total_slots,
      usedSlots: st.used,
      priority: c.priority,
      tags: c.tags,
      enabled: c.enabled,
      drained: st.drained,
      health: st.health,
      circuit: st.circuit.state,
      consecutiveFailures: st.circuit.consecutiveFailures,
    };
    if (c.user) s.user = c.user;
    if (st.latencyMs !== undefined) s.latencyMs = st.latencyMs;
    if (st.lastHeartbeatAt !== undefined) s.lastHeartbeatAt = st.lastHeartbeatAt;
    if (st.lastError) s.lastError = st.lastError;
    if (st.speed) {
      s.speed = st.speed.speed;
      s.speedMeasuredAt = st.speed.measuredAt;
    }
    s.slotsExternal = st.share.external;
    s.holders = st.share.holders.map((h) => ({ ...h }));
    if (st.share.flock !== undefined) s.sharing = st.share.flock;
    if (c.max_share !== undefined) s.maxShare = c.max_share;
    if (st.samePath !== undefined) s.samePath = st.samePath;
    if (st.toolchains) s.toolchains = st.toolchains;
    return s;
  }
}
