// Text rendering of the daemon's status snapshot for `rch status` (pure: snapshot in, text out).
import pc from "picocolors";
import type { JobInfo, StatusSnapshot, WorkerStatus } from "../../protocol/status.ts";
import { diskCell } from "./disk-view.ts";

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const num = (n: number) => n.toLocaleString("en-US");

export function bar(used: number, total: number, width = 12): string {
  const filled = total > 0 ? Math.min(width, Math.round((used / total) * width)) : 0;
  return "█".repeat(filled) + "░".repeat(width - filled);
}

const ansi = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ansi, "").length;

function pad(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - visible(s)));
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join("  ")
      .trimEnd();
  return [pc.bold(line(header)), ...rows.map(line)].join("\n");
}

function health(w: WorkerStatus): string {
  if (w.drained) return pc.yellow("drained");
  if (!w.enabled) return pc.dim("disabled");
  if (w.health === "ok") return pc.green("ok");
  if (w.health === "failing") return pc.red("failing");
  return pc.dim("unknown");
}

function circuit(w: WorkerStatus): string {
  if (w.circuit === "closed")
    return w.consecutiveFailures > 0 ? pc.yellow(`closed (${w.consecutiveFailures})`) : "closed";
  if (w.circuit === "open") return pc.red(`open (${w.consecutiveFailures})`);
  return pc.yellow("half-open");
}

/** "5/8 (2 mine, 3 other)" when other workstations' builds hold some of the worker's slots. */
function slots(w: WorkerStatus): string {
  const other = w.slotsExternal ?? 0;
  const busy = w.usedSlots + other;
  const split = other > 0 ? ` (${w.usedSlots} mine, ${other} other)` : "";
  const cap = w.maxShare !== undefined ? pc.dim(` max ${w.maxShare} mine`) : "";
  return `${bar(busy, w.totalSlots)} ${busy}/${w.totalSlots}${split}${cap}`;
}

/** Under the table: who else holds slots on each worker, and workers whose slots are not shared. */
function sharingNotes(s: StatusSnapshot, now: number): string[] {
  const notes: string[] = [];
  for (const w of s.workers) {
    if (w.holders?.length) {
      const who = w.holders.map((h) => {
        const age = h.since !== undefined ? `, ${duration(now - h.since * 1000)}` : "";
        return `${h.name} (${h.project ?? "?"}${age})`;
      });
      notes.push(pc.dim(`${w.id}: other workstations' builds: ${who.join(", ")}`));
    }
    if (w.sharing === false)
      notes.push(
        pc.yellow(
          `${w.id}: no flock(1) there: slots are not shared, only this workstation's builds are counted`,
        ),
      );
  }
  return notes;
}

export function renderWorkers(s: StatusSnapshot, now = Date.now()): string {
  if (s.workers.length === 0) return "no workers configured (add them to ~/.config/rch/workers.toml)";
  const rows = s.workers.map((w) => [
    w.id,
    slots(w),
    health(w),
    circuit(w),
    w.latencyMs !== undefined ? `${w.latencyMs.toFixed(1)} ms` : "-",
    w.speed !== undefined ? w.speed.toFixed(1) : "-",
    String(w.priority),
    w.tags.join(",") || "-",
    diskCell(w.disk, s.daemon.heartbeatIntervalS),
    w.lastError && w.health !== "ok" ? pc.dim(w.lastError.slice(0, 60)) : "",
  ]);
  const t = table(
    ["WORKER", "SLOTS", "HEALTH", "CIRCUIT", "LATENCY", "SPEED", "PRIO", "TAGS", "DISK", ""],
    rows,
  );
  return [t, ...sharingNotes(s, now)].join("\n");
}

function shortProject(p: string): string {
  const parts = p.split("/").filter(Boolean);
  return parts.length <= 2 ? p : `…/${parts.slice(-2).join("/")}`;
}

function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function outcome(j: JobInfo): string {
  const code = j.exitCode !== undefined ? ` (exit ${j.exitCode})` : "";
  if (j.state === "remote") return (j.exitCode === 0 ? pc.green : pc.yellow)(`remote${code}`);
  if (j.state === "local") return pc.cyan(`local${code}`);
  return pc.red(j.state);
}

export function renderJobs(s: StatusSnapshot, now = Date.now()): string {
  const active = s.jobs.active.map((j) => [
    shortProject(j.project),
    cut(j.command, 48),
    j.worker ?? (j.state === "waiting" ? pc.yellow("waiting") : "-"),
    duration(now - j.startedAt),
    j.followers > 0 ? `+${j.followers}` : "",
  ]);
  const recent = s.jobs.recent.map((j) => [
    shortProject(j.project),
    cut(j.command, 48),
    j.worker ?? "-",
    j.durationMs !== undefined ? duration(j.durationMs) : "-",
    outcome(j),
    j.followers > 0 ? `+${j.followers}` : "",
    j.reason ? pc.dim(cut(j.reason, 50)) : "",
  ]);
  return [
    pc.bold(`ACTIVE JOBS (${active.length})`),
    active.length ? table(["PROJECT", "COMMAND", "WORKER", "ELAPSED", "DEDUP"], active) : pc.dim("  none"),
    "",
    pc.bold(`RECENT JOBS (${recent.length})`),
    recent.length
      ? table(["PROJECT", "COMMAND", "WORKER", "DURATION", "OUTCOME", "DEDUP", ""], recent)
      : pc.dim("  none"),
  ].join("\n");
}

export function renderStats(s: StatusSnapshot): string {
  const st = s.stats;
  const pct = (n: number) => (st.totalJobs > 0 ? ` (${((n / st.totalJobs) * 100).toFixed(1)} %)` : "");
  const rows: [string, string][] = [
    ["since", new Date(st.since).toISOString().replace("T", " ").slice(0, 16)],
    ["requests", num(st.totalJobs)],
    ["remote", `${num(st.remoteJobs)}${pct(st.remoteJobs)}`],
    ["local", `${num(st.localJobs)}${pct(st.localJobs)} — ${num(st.failedJobs)} failed before start`],
    ["dedup hits", `${num(st.dedupHits)}${pct(st.dedupHits)}`],
    ["abandoned", num(st.abandonedJobs)],
    ["offloaded", duration(st.offloadedMs)],
    ["time saved", duration(st.timeSavedMs)],
  ];
  return rows.map(([k, v]) => `${pad(k, 12)}${v}`).join("\n");
}

export function renderOverview(s: StatusSnapshot, now = Date.now()): string {
  const d = s.daemon;
  const ws = s.workers;
  const used = ws.reduce((n, w) => n + w.usedSlots, 0);
  const other = ws.reduce((n, w) => n + (w.slotsExternal ?? 0), 0);
  const total = ws.reduce((n, w) => n + w.totalSlots, 0);
  const healthy = ws.filter((w) => w.health === "ok" && w.circuit === "closed" && !w.drained).length;
  const open = ws.filter((w) => w.circuit !== "closed").length;
  const drained = ws.filter((w) => w.drained).length;
  const st = s.stats;
  const lines = [
    `${pc.bold("rchd")} ${d.version} · pid ${d.pid} · up ${duration(now - d.startedAt)} · ${d.socket}`,
    `workers  ${ws.length} configured · ${healthy} healthy · ${open} circuit open/half-open · ${drained} drained`,
    `slots    ${bar(used + other, total, 16)} ${used + other}/${total} busy${other ? ` (${used} mine, ${other} other)` : ""} · ${s.queue} waiting`,
    `jobs     ${s.jobs.active.length} active · ${num(st.totalJobs)} total · ${num(st.remoteJobs)} remote · ${num(st.localJobs)} local · ${num(st.dedupHits)} dedup`,
    `saved    ${duration(st.timeSavedMs)} (offloaded ${duration(st.offloadedMs)})`,
  ];
  if (d.metricsPort > 0) lines.push(`metrics  http://127.0.0.1:${d.metricsPort}/metrics`);
  for (const issue of d.configIssues) lines.push(pc.yellow(`config problem: ${issue}`));
  return lines.join("\n");
}
