// The workers' disks in `rch status`: the DISK cell of `--workers` and the `--disk` table (pure:
// snapshot in, text out). Colours: yellow once free space is below the GC's goal (min_free_gb +
// headroom: a GC has work there), red when admission refuses the worker builds.
import pc from "picocolors";
import type { GcRecordStatus, StatusSnapshot, WorkerDisk, WorkerStatus } from "../../protocol/status.ts";
import { ago, size } from "./gc-view.ts";

const since = (at: number, now: number) => ago(Math.max(0, Math.floor((now - at) / 1000)));

/** "181.0/500.0 GB free", coloured; "unknown" before the first heartbeat (or when stale). */
export function diskCell(d: WorkerDisk | undefined, heartbeatS: number, now = Date.now()): string {
  if (!d || d.availKb === undefined || d.totalKb === undefined || d.at === undefined)
    return pc.dim("unknown");
  const stale = now - d.at > 2 * heartbeatS * 1000;
  const text = `${size(d.availKb).replace(/ (GB|MB|kB)$/, "")}/${size(d.totalKb)} free`;
  if (stale) return pc.dim(`${text} (stale)`);
  if (d.refused) return pc.red(text);
  if (d.availKb < d.goalFreeKb) return pc.yellow(text);
  return text;
}

function lastGc(g: GcRecordStatus | undefined, now: number): string {
  if (!g) return pc.dim("none yet");
  const when = `${since(g.at, now)} (${g.trigger})`;
  if (!g.ok) return `${when}: ${pc.red(g.error ?? "failed")}`;
  const freed = `freed ${size(g.freedKb ?? 0)}`;
  return `${when}: ${freed}${g.met === false ? pc.yellow(", goals not reached") : ""}`;
}

function notes(w: WorkerStatus, now: number): string {
  const d = w.disk!;
  const out: string[] = [];
  if (d.refused) out.push(pc.red(`no builds: ${d.refused}`));
  if (d.flock === false) out.push(pc.yellow("no flock(1): no automatic GC"));
  if (d.gcRunning)
    out.push(
      `${d.gcRunning.mode === "run" ? "GC" : "census"} running (started ${since(d.gcRunning.since, now)})`,
    );
  return out.join("; ");
}

export function renderDisk(s: StatusSnapshot, now = Date.now()): string {
  if (s.workers.length === 0) return "no workers configured (add them to ~/.config/rch/workers.toml)";
  const hb = s.daemon.heartbeatIntervalS;
  const rows = s.workers.map((w) => {
    const d = w.disk;
    if (!d) return [w.id, pc.dim("unknown"), "-", "-", "-", "-", "-", ""];
    const c = d.census;
    return [
      w.id,
      diskCell(d, hb, now),
      c ? `${size(c.usageKb)} (${since(c.at, now)})` : pc.dim("no census yet"),
      c ? String(c.copies) : "-",
      c?.oldestUse ? since(c.oldestUse, now) : "-",
      `${size(d.minFreeKb)} free${d.maxDiskKb > 0 ? `, ${size(d.maxDiskKb)} max` : ""}`,
      lastGc(d.lastGc, now),
      notes(w, now),
    ];
  });
  const header = ["WORKER", "FREE", "RCH USAGE (CENSUS)", "COPIES", "OLDEST USE", "KEEPS", "LAST GC", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))))
      .join("  ")
      .trimEnd();
  return [pc.bold(line(header)), ...rows.map(line)].join("\n");
}

const ansi = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ansi, "").length;
