// The workers' toolchain identities, as the daemon keeps them for selection (eligible.ts): probed
// with src/worker/toolchains.sh at a worker's first heartbeat, and again whenever the heartbeat's
// `toolchains` fingerprint moves (a `rustup update`, a toolchain `rch toolchain sync` put there,
// an apt upgrade of gcc) — so a worker's change is seen within one heartbeat interval, without a
// restart. Never on a build's path: a request that arrives before a worker's first probe waits
// for it like for a free slot (select.ts), and is served as soon as it lands.
import type { Config } from "../config/schema.ts";
import { remoteRootArg } from "../ssh/gc.ts";
import { parseToolchains } from "../ssh/toolchains.ts";
import { TOOLCHAINS_PROGRAM } from "../worker/programs.ts";
import type { WorkerState } from "./fleet.ts";
import type { HeartbeatFacts } from "./heartbeat.ts";
import type { Logger } from "./log.ts";
import { describeFailure, runRemote } from "./ssh.ts";

/** One rustc -vV per toolchain (~50 ms) plus the compilers: seconds at most, even cold. */
const PROBE_TIMEOUT_MS = 60_000;

export interface ToolchainDeps {
  log: Logger;
  ssh: () => Config["ssh"];
  /** A worker's identities changed: queued requests may now fit. */
  onChange(): void;
}

export class ToolchainKeeper {
  private readonly inFlight = new Set<WorkerState>();

  constructor(private readonly d: ToolchainDeps) {}

  /** Every successful heartbeat: probe when nothing is known yet or the fingerprint moved. */
  onHeartbeat(st: WorkerState, facts: HeartbeatFacts): void {
    const fp = facts.toolchains ?? "";
    if (st.toolchains && !st.toolchains.error && st.toolchainsFp === fp) return;
    if (this.inFlight.has(st)) return;
    this.inFlight.add(st);
    void this.probe(st, fp).finally(() => this.inFlight.delete(st));
  }

  private async probe(st: WorkerState, fp: string): Promise<void> {
    const id = st.config.id;
    const r = await runRemote(st.config, this.d.ssh(), TOOLCHAINS_PROGRAM, PROBE_TIMEOUT_MS, [
      remoteRootArg(st.config.remote_root),
    ]);
    const at = Date.now();
    if (r.code !== 0) {
      const error = `toolchain probe failed: ${describeFailure(r)}`;
      st.toolchains = { platform: "?", libc: "-", path: "", rust: [], tools: [], at, error };
      this.d.log.warn(`worker ${id}: ${error}`);
    } else {
      const before = st.toolchains;
      st.toolchains = { ...parseToolchains(r.stdout), at };
      st.toolchainsFp = fp;
      const rust = st.toolchains.rust.map((t) => `${t.version} (${t.kind} ${t.name})`).join(", ");
      this.d.log.info(
        `worker ${id}: ${before ? "toolchains changed" : "toolchains"}: ${st.toolchains.platform}; rustc ${rust || "none"}`,
      );
    }
    this.d.onChange();
  }
}
