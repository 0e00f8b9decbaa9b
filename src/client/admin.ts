// The operator's requests (rch status, rch daemon …, rch workers drain|enable|benchmark|gc).
// Unlike the selector these surface errors: a person asked, and "it did not work" is the answer.

import {
  type BenchmarkResult,
  benchmarkResponse,
  type HelloResponse,
  okResponse,
  type ReloadedResponse,
  reloadedResponse,
  statusResponse,
} from "../protocol/responses.ts";
import type { StatusSnapshot } from "../protocol/status.ts";
import type { Connection } from "./connection.ts";
import { type ClientOptions, DaemonLink } from "./link.ts";

const TIMEOUT_MS = 5000;
/** A benchmark takes ~1.5 s per worker, sequentially. */
const BENCHMARK_PER_WORKER_MS = 130_000;

export class DaemonClient {
  readonly link: DaemonLink;

  constructor(opts: ClientOptions = {}) {
    // Operator commands look at (or stop) whatever daemon runs; only builds replace an old one.
    this.link = new DaemonLink({ clientName: "rch cli", replaceOutdated: false, ...opts });
  }

  get paths() {
    return this.link.paths;
  }

  /** Connects (starting the daemon when `autoStart`); throws when it cannot. */
  connect(autoStart: boolean): Promise<Connection> {
    return this.link.get(autoStart);
  }

  async hello(autoStart = false): Promise<HelloResponse> {
    return (await this.connect(autoStart)).hello;
  }

  async status(recent = 20, autoStart = false): Promise<StatusSnapshot> {
    const conn = await this.connect(autoStart);
    return (await conn.request({ type: "status", recent }, statusResponse, TIMEOUT_MS)).status;
  }

  async drain(workerId: string): Promise<string> {
    const conn = await this.connect(true);
    return (await conn.request({ type: "drain", workerId }, okResponse, TIMEOUT_MS)).message ?? "ok";
  }

  async enable(workerId: string): Promise<string> {
    const conn = await this.connect(true);
    return (await conn.request({ type: "enable", workerId }, okResponse, TIMEOUT_MS)).message ?? "ok";
  }

  async reload(): Promise<ReloadedResponse> {
    const conn = await this.connect(false);
    return conn.request({ type: "reload" }, reloadedResponse, TIMEOUT_MS);
  }

  async shutdown(): Promise<string> {
    const conn = await this.connect(false);
    return (await conn.request({ type: "shutdown" }, okResponse, TIMEOUT_MS)).message ?? "stopping";
  }

  async benchmark(workerIds: string[], workerCount: number): Promise<BenchmarkResult[]> {
    const conn = await this.connect(true);
    const timeout = BENCHMARK_PER_WORKER_MS * Math.max(1, workerIds.length || workerCount);
    return (await conn.request({ type: "benchmark", workerIds }, benchmarkResponse, timeout)).results;
  }

  /** Asks a running daemon (none is started for this) to re-read these workers' disks. */
  async diskRefresh(workerIds: string[]): Promise<void> {
    const conn = await this.connect(false);
    await conn.request({ type: "disk.refresh", workerIds }, okResponse, TIMEOUT_MS);
  }

  close(): void {
    this.link.close();
  }
}
