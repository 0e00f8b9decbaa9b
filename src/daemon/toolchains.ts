// The workers' toolchain identities, as the daemon keeps them for selection (eligible.ts): probed
// with src/worker/toolchains.sh at a worker's first heartbeat, and again whenever the heartbeat's
// `toolchains` fingerprint moves (a `rustup update`, a toolchain `rch toolchain sync` put there,
// an apt upgrade of gcc) — so a worker's change is seen within one heartbeat interval, without a
// restart. Never on a build's path: a request that arrives before a worker's first probe waits
// for it like for a free slot (select.ts), and is served as soon as it lands.
import type { Config } from "../config/schema.ts";
import type { WorkerToolchains } from "../protocol/toolchains.ts";
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
    const before = st.toolchains;
    const rust = await this.run(st, "rust");
    const at = Date.now();
    if (!rust.ok) return this.failed(st, rust.why, at, before);
    // The Rust half first: most builds wait for it; the tools half (meson starts Python) follows.
    // A tools half that failed before stays named until one succeeds (a build's reason must not
    // depend on whether it ran out of wait while a retry was in flight).
    const toolsError = before?.toolsError;
    st.toolchains = {
      ...parseToolchains(rust.out),
      tools: before?.tools ?? [],
      toolsKnown: false,
      at,
      ...(toolsError ? { toolsError } : {}),
    };
    this.d.onChange();
    const tools = await this.run(st, "tools");
    // The Rust half stays: builds that need no tool identity (make, cargo) still get the worker,
    // and try it (a worker that went away meanwhile then fails them with ssh's own words).
    const keep = before?.toolsKnown && !before.error ? before : st.toolchains;
    if (!tools.ok) return this.failed(st, tools.why, Date.now(), keep);
    const { toolsError: _, ...rustHalf } = st.toolchains;
    st.toolchains = { ...rustHalf, tools: parseToolchains(tools.out).tools, toolsKnown: true };
    st.toolchainsFp = fp;
    const list = st.toolchains.rust.map((t) => `${t.version} (${t.kind} ${t.name})`).join(", ");
    this.d.log.info(
      `worker ${st.config.id}: ${before ? "toolchains changed" : "toolchains"}: ${st.toolchains.platform}; rustc ${list || "none"}`,
    );
    this.d.onChange();
  }

  /** The program's stdout, or why it failed. */
  private async run(
    st: WorkerState,
    part: "rust" | "tools",
  ): Promise<{ ok: true; out: string } | { ok: false; why: string }> {
    const r = await runRemote(st.config, this.d.ssh(), TOOLCHAINS_PROGRAM, PROBE_TIMEOUT_MS, [
      remoteRootArg(st.config.remote_root),
      part,
    ]);
    return r.code === 0 ? { ok: true, out: r.stdout } : { ok: false, why: describeFailure(r) };
  }

  /** A probe that fails (the worker restarting, a dropped connection) unlearns nothing a
   * complete earlier probe found, nor the Rust half this one found before its tools half failed:
   * the fingerprint stays unrecorded, so the next heartbeat probes again. A kept Rust half
   * carries the tools half's failure (toolsError), which builds that wait for a tool's identity
   * name when they run locally. Only a worker known not even by a Rust half is marked unknown
   * (it takes no build that needs a toolchain). */
  private failed(st: WorkerState, why: string, at: number, known?: WorkerToolchains): void {
    const error = `toolchain probe failed: ${why}`;
    this.d.log.warn(`worker ${st.config.id}: ${error}`);
    if (known && !known.error) {
      st.toolchains = known.toolsKnown ? known : { ...known, toolsError: error };
      this.d.onChange();
      return;
    }
    st.toolchains = { platform: "?", libc: "-", path: "", rust: [], tools: [], toolsKnown: false, at, error };
    this.d.onChange();
  }
}
