// Heartbeats: every heartbeat_interval_s each worker runs src/worker/heartbeat.sh over its SSH
// master (one round trip, as a bare `true` would be); that it ran feeds the worker's circuit
// breaker and its latency, and what it printed (free disk space of remote_root, flock) goes to
// disk.ts. An open circuit is left alone for the
// cool-down, then the next heartbeat is the half-open trial. A worker that recovers is used again
// as soon as its circuit closes — no manual step.
import type { Config } from "../config/schema.ts";
import type { Fleet, WorkerState } from "./fleet.ts";
import { type HeartbeatFacts, heartbeatCommand, parseHeartbeat } from "./heartbeat.ts";
import type { Logger } from "./log.ts";
import { describeFailure, runRemote } from "./ssh.ts";

export type ProbeResult =
  | { ok: true; latencyMs: number; facts?: HeartbeatFacts }
  | { ok: false; error: string };
export type Probe = (st: WorkerState) => Promise<ProbeResult>;

export interface HealthDeps {
  fleet: Fleet;
  log: Logger;
  ssh: () => Config["ssh"];
  /** A circuit closed: queued requests may now fit. */
  onRecovered(): void;
  /** A heartbeat failed: requests waiting for that worker's first toolchain probe stop waiting. */
  onFailed?(): void;
  /** What a successful heartbeat reported (after the worker's health was updated). */
  onFacts?(st: WorkerState, facts: HeartbeatFacts): void;
  /** Replaces ssh (tests, benchmarks with simulated workers). */
  probe?: Probe;
}

export function sshProbe(ssh: () => Config["ssh"]): Probe {
  return async (st) => {
    const timeoutMs = (ssh().connect_timeout_s + 5) * 1000;
    const { script, args } = heartbeatCommand(st.config);
    const r = await runRemote(st.config, ssh(), script, timeoutMs, args);
    if (r.code !== 0) return { ok: false, error: describeFailure(r) };
    return { ok: true, latencyMs: r.ms, facts: parseHeartbeat(r.stdout) };
  };
}

export class HealthMonitor {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Set<string>();
  private readonly probe: Probe;
  private stopped = false;

  constructor(private readonly d: HealthDeps) {
    this.probe = d.probe ?? sshProbe(d.ssh);
  }

  /** Starts (or restarts) the loops of these workers with an immediate first heartbeat. */
  watch(ids: readonly string[]): void {
    for (const id of ids) this.schedule(id, 0);
  }

  unwatch(ids: readonly string[]): void {
    for (const id of ids) {
      clearTimeout(this.timers.get(id));
      this.timers.delete(id);
    }
  }

  /** Out-of-schedule heartbeat (e.g. a job just failed to start there). */
  checkNow(id: string): void {
    if (!this.inFlight.has(id) && this.d.fleet.get(id)?.circuit.state === "closed") this.schedule(id, 0);
  }

  stop(): void {
    this.stopped = true;
    this.unwatch([...this.timers.keys()]);
  }

  private schedule(id: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(id));
    this.timers.set(
      id,
      setTimeout(() => void this.beat(id), delayMs),
    );
  }

  private async beat(id: string): Promise<void> {
    this.timers.delete(id);
    const st = this.d.fleet.get(id);
    if (!st || this.stopped || this.inFlight.has(id)) return;
    // A disabled worker gets no jobs, so no connection either; keep the loop for when a reload
    // enables it again.
    if (!st.config.enabled) return this.schedule(id, this.d.fleet.heartbeatMs);
    const c = st.circuit;
    const moved = c.tick(Date.now());
    if (moved) this.d.log.info(`worker ${id}: circuit ${moved.from} → ${moved.to} (trying again)`);
    if (c.isOpen) return this.schedule(id, c.remainingCooldown(Date.now()));
    this.inFlight.add(id);
    let r: ProbeResult;
    try {
      r = await this.probe(st);
    } catch (e) {
      r = { ok: false, error: (e as Error).message };
    } finally {
      this.inFlight.delete(id);
    }
    if (this.d.fleet.get(id) !== st) return; // removed or replaced while probing
    this.apply(st, r);
    this.schedule(id, c.isOpen ? c.remainingCooldown(Date.now()) : this.d.fleet.heartbeatMs);
  }

  private apply(st: WorkerState, r: ProbeResult): void {
    const id = st.config.id;
    st.lastHeartbeatAt = Date.now();
    if (r.ok) {
      const wasUnknown = st.health !== "ok";
      st.health = "ok";
      st.latencyMs = Math.round(r.latencyMs * 10) / 10;
      delete st.lastError;
      const moved = st.circuit.success();
      if (moved)
        this.d.log.info(`worker ${id}: circuit ${moved.from} → closed (heartbeat ok, ${st.latencyMs} ms)`);
      else if (wasUnknown) this.d.log.info(`worker ${id}: healthy (${st.latencyMs} ms)`);
      if (r.facts) this.d.onFacts?.(st, r.facts);
      if (moved || wasUnknown) this.d.onRecovered();
      return;
    }
    st.health = "failing";
    st.lastError = r.error;
    this.d.onFailed?.();
    const moved = st.circuit.failure(Date.now());
    const n = st.circuit.consecutiveFailures;
    if (moved)
      this.d.log.warn(`worker ${id}: circuit ${moved.from} → open after ${n} failure(s): ${r.error}`);
    else this.d.log.warn(`worker ${id}: heartbeat failed (${n}/${st.circuit.threshold}): ${r.error}`);
  }
}
