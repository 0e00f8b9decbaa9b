// Prometheus text exposition (format 0.0.4), opt-in: daemon.metrics_port > 0 serves GET /metrics
// on 127.0.0.1 only — the numbers name hosts and projects, which stay on this machine.
import type { StatusSnapshot } from "../protocol/status.ts";

export interface SelectionTimings {
  /** Recent select → answer latencies in ms (a bounded ring). */
  samples(): number[];
  count: number;
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function renderMetrics(s: StatusSnapshot, sel: SelectionTimings): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(",");
      lines.push(`${name}${l ? `{${l}}` : ""} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  const w = s.workers;
  metric(
    "rch_worker_slots_total",
    "gauge",
    "Configured slots per worker.",
    w.map((x) => [{ worker: x.id }, x.totalSlots]),
  );
  metric(
    "rch_worker_slots_used",
    "gauge",
    "Slots held by leases.",
    w.map((x) => [{ worker: x.id }, x.usedSlots]),
  );
  metric(
    "rch_worker_slots_external",
    "gauge",
    "Slots held by other workstations' builds, as last counted.",
    w.map((x) => [{ worker: x.id }, x.slotsExternal ?? 0]),
  );
  metric(
    "rch_worker_up",
    "gauge",
    "1 when the last heartbeat succeeded.",
    w.map((x) => [{ worker: x.id }, x.health === "ok" ? 1 : 0]),
  );
  metric(
    "rch_worker_circuit_state",
    "gauge",
    "Circuit breaker state (1 for the current state).",
    w.flatMap((x) =>
      (["closed", "open", "half-open"] as const).map((st): [Record<string, string>, number] => [
        { worker: x.id, state: st },
        x.circuit === st ? 1 : 0,
      ]),
    ),
  );
  metric(
    "rch_worker_drained",
    "gauge",
    "1 when drained.",
    w.map((x) => [{ worker: x.id }, x.drained ? 1 : 0]),
  );
  metric(
    "rch_worker_heartbeat_latency_seconds",
    "gauge",
    "Latency of the last successful heartbeat.",
    w.filter((x) => x.latencyMs !== undefined).map((x) => [{ worker: x.id }, (x.latencyMs ?? 0) / 1000]),
  );
  metric(
    "rch_worker_speed_score",
    "gauge",
    "Benchmark speed score (100 = reference).",
    w.filter((x) => x.speed !== undefined).map((x) => [{ worker: x.id }, x.speed ?? 0]),
  );
  metric("rch_jobs_active", "gauge", "Jobs waiting or running.", [[{}, s.jobs.active.length]]);
  metric("rch_queue_waiting", "gauge", "Requests waiting for a slot.", [[{}, s.queue]]);
  const st = s.stats;
  metric("rch_jobs_total", "counter", "Jobs by how they ran.", [
    [{ outcome: "remote" }, st.remoteJobs],
    [{ outcome: "local" }, st.localJobs],
    [{ outcome: "failed_before_start" }, st.failedJobs],
    [{ outcome: "abandoned" }, st.abandonedJobs],
  ]);
  metric("rch_requests_total", "counter", "Select requests answered.", [[{}, st.totalJobs]]);
  metric("rch_dedup_hits_total", "counter", "Requests attached to an identical in-flight job.", [
    [{}, st.dedupHits],
  ]);
  metric("rch_offloaded_seconds_total", "counter", "Build time run on workers.", [
    [{}, st.offloadedMs / 1000],
  ]);
  metric("rch_time_saved_seconds_total", "counter", "Estimated time saved.", [[{}, st.timeSavedMs / 1000]]);
  const sorted = sel.samples().sort((a, b) => a - b);
  lines.push(
    "# HELP rch_select_duration_seconds Time from a select request to its answer (recent window).",
    "# TYPE rch_select_duration_seconds summary",
  );
  for (const q of [0.5, 0.9, 0.99])
    lines.push(`rch_select_duration_seconds{quantile="${q}"} ${quantile(sorted, q) / 1000}`);
  lines.push(`rch_select_duration_seconds_count ${sel.count}`);
  return `${lines.join("\n")}\n`;
}

export function serveMetrics(port: number, render: () => string): { stop(): void; port: number } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname !== "/metrics") return new Response("not found\n", { status: 404 });
      return new Response(render(), { headers: { "content-type": "text/plain; version=0.0.4" } });
    },
  });
  return { stop: () => void server.stop(true), port: server.port ?? port };
}
