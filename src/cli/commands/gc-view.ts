// `rch workers gc` as text and JSON (pure: reports in, rows out). One row per copy: worker, copy,
// project (owner workstation), last use, size, action and why; then per worker the free space
// before and after (predicted in a dry run) against the goals.
import pc from "picocolors";
import type { GcPolicy } from "../../ssh/gc.ts";
import type { GcCopy, GcReport } from "../../ssh/gcOutput.ts";

export interface WorkerGc {
  worker: string;
  minFreeGb: number;
  maxDiskGb: number;
  /** The run's report, or why there is none. */
  result: { ok: true; report: GcReport } | { ok: false; error: string };
}

/** Sizes in the unit that keeps them readable: a small test disk counts in MB. */
export function size(kb: number): string {
  if (kb >= 1024 * 1024) return `${(kb / (1024 * 1024)).toFixed(1)} GB`;
  if (kb >= 1024) return `${(kb / 1024).toFixed(1)} MB`;
  return `${kb} kB`;
}

export function ago(seconds: number): string {
  if (seconds < 60) return "now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

const hours = (h: number) => `${Number(h.toFixed(2))} h`;
const days = (d: number) => `${Number(d.toFixed(2))} d`;

/** Why a copy is kept, trimmed or removed, in words. */
export function reason(c: GcCopy, policy: GcPolicy): string {
  switch (c.why) {
    case "enough":
      return "keep";
    case "in-use":
      return "keep: in use";
    case "recent":
      return `keep: used < ${hours(policy.keep_recent_h)} ago`;
    case "no-flock":
      return "keep: no flock(1) on the worker";
    case "failed":
      return "keep: could not be removed";
    case "idle":
      return `trim incremental (${size(c.freedKb)}): idle > ${days(policy.trim_incremental_after_d)}`;
    case "free":
      return "remove: free space below the goal";
    case "budget":
      return "remove: over max_disk_gb";
    case "critical":
      return "remove: free space critical (recent, removed anyway)";
  }
}

export function project(c: GcCopy): string {
  const p = c.stamp.project ?? "-";
  return c.stamp.name ? `${p} (${c.stamp.name})` : p;
}

export interface GcRow {
  worker: string;
  copy: string;
  project: string | null;
  owner: string | null;
  client: string | null;
  /** Epoch seconds on the worker's clock; null when unknown. */
  lastUse: number | null;
  sizeKb: number;
  action: GcCopy["action"];
  freedKb: number;
  why: GcCopy["why"];
  reason: string;
}

export function rows(w: WorkerGc, policy: GcPolicy): GcRow[] {
  if (!w.result.ok) return [];
  return w.result.report.copies.map((c) => ({
    worker: w.worker,
    copy: c.name,
    project: c.stamp.project ?? null,
    owner: c.stamp.name ?? null,
    client: c.stamp.client ?? null,
    lastUse: c.lastUse > 0 ? c.lastUse : null,
    sizeKb: c.sizeKb,
    action: c.action,
    freedKb: c.freedKb,
    why: c.why,
    reason: reason(c, policy),
  }));
}

/** One line per worker: free before → after against the goals, or what went wrong. */
export function summary(w: WorkerGc, dryRun: boolean): string {
  if (!w.result.ok) return `${w.worker}: ${pc.red("GC failed")}: ${w.result.error}`;
  const r = w.result.report;
  if (r.busy) return `${w.worker}: another GC is running there (this or another workstation's); nothing done`;
  const e = r.end;
  if (!e) return `${w.worker}: ${pc.red("GC was cut short")}`;
  const limits = [
    `min_free_gb ${w.minFreeGb}`,
    w.maxDiskGb > 0 ? `max_disk_gb ${w.maxDiskGb}` : "no budget",
    `rch uses ${size(e.usageBeforeKb)}${e.usageAfterKb !== e.usageBeforeKb ? ` → ${size(e.usageAfterKb)}` : ""}`,
  ].join(", ");
  const after = `${size(e.availAfterKb)}${dryRun ? " predicted" : ""}`;
  const freed = `${dryRun ? "would free" : "freed"} ${size(e.freedKb)}`;
  const lines = [
    `${w.worker}: ${size(e.availBeforeKb)} free of ${size(e.totalKb)} → ${after}; ${freed} (${limits})`,
  ];
  if (!r.flock)
    lines.push(
      `${w.worker}: no flock(1) there: rch removes no copies on it (it cannot tell which are in use)`,
    );
  else if (!e.met)
    lines.push(`${w.worker}: ${pc.yellow("goals not reached")}: what is left is in use or used recently`);
  return lines.join("\n");
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [pc.bold(line(header)), ...body.map(line)].join("\n");
}

export function renderGc(results: WorkerGc[], policy: GcPolicy, dryRun: boolean): string {
  const body: string[][] = [];
  for (const w of results) {
    if (!w.result.ok) continue;
    const now = w.result.report.now;
    for (const c of w.result.report.copies) {
      body.push([
        w.worker,
        c.name,
        project(c),
        c.lastUse > 0 ? ago(now - c.lastUse) : "-",
        size(c.sizeKb),
        reason(c, policy),
      ]);
    }
  }
  const parts: string[] = [];
  if (body.length > 0)
    parts.push(table(["WORKER", "COPY", "PROJECT (OWNER)", "LAST USE", "SIZE", "ACTION"], body));
  else parts.push(pc.dim("no project copies"));
  parts.push(results.map((w) => summary(w, dryRun)).join("\n"));
  if (dryRun) parts.push(pc.dim("dry run: nothing was changed"));
  return parts.join("\n\n");
}

export function gcJson(results: WorkerGc[], policy: GcPolicy, dryRun: boolean): unknown {
  return {
    dryRun,
    workers: results.map((w) => {
      if (!w.result.ok) return { worker: w.worker, ok: false, error: w.result.error };
      const r = w.result.report;
      return {
        worker: w.worker,
        ok: !r.busy && r.end !== undefined,
        busy: r.busy,
        flock: r.flock,
        now: r.now,
        goal: r.goal,
        trashKb: r.trashKb,
        ...(r.end ? { end: r.end } : {}),
        copies: rows(w, policy),
      };
    }),
  };
}
