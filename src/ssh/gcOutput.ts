// What gc.sh prints (its header is the contract), read into a report: one row per copy, the
// disk before and after, the goals it worked to. Pure; lines it does not know are skipped, so a
// newer worker program can say more without breaking this reader.

export type GcMode = "plan" | "census" | "run";
export type GcAction = "keep" | "trim" | "remove";
export type GcWhy =
  | "enough"
  | "in-use"
  | "recent"
  | "no-flock"
  | "failed"
  | "idle"
  | "free"
  | "budget"
  | "critical";

const WHYS: readonly string[] = [
  "enough",
  "in-use",
  "recent",
  "no-flock",
  "failed",
  "idle",
  "free",
  "budget",
  "critical",
];

/** What the copy's last build wrote in its stamp (absent: no stamp, e.g. made by an older rch). */
export interface StampInfo {
  client?: string;
  /** The owner workstation's name (general.client_name, by default its hostname). */
  name?: string;
  /** The project's absolute path on that workstation. */
  project?: string;
}

export interface GcCopy {
  name: string;
  /** Last use, epoch seconds on the worker's clock. */
  lastUse: number;
  sizeKb: number;
  action: GcAction;
  /** trim: the incremental dirs; remove: the whole copy; keep: 0. */
  freedKb: number;
  why: GcWhy;
  stamp: StampInfo;
}

export interface GcEnd {
  availBeforeKb: number;
  /** plan and census: predicted. */
  availAfterKb: number;
  totalKb: number;
  usageBeforeKb: number;
  usageAfterKb: number;
  freedKb: number;
  /** Whether the goals (free space, budget) were reached. */
  met: boolean;
}

export interface GcReport {
  mode: GcMode;
  flock: boolean;
  /** The worker's clock when it started (epoch s). */
  now: number;
  goal: { freeKb: number; budgetKb: number; criticalKb: number };
  trashKb: number;
  copies: GcCopy[];
  /** run: another GC held the worker's gc.lock, nothing was done. */
  busy: boolean;
  /** run: why nothing could be done at all (e.g. remote_root/.rch is not writable). */
  error?: string;
  /** Absent when the program was cut short (killed, busy). */
  end?: GcEnd;
}

const int = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) && s !== "" ? n : 0;
};

/** `client=<id> name=<client name> project=<path>`: the name may hold spaces, the path anything. */
export function parseStamp(line: string): StampInfo {
  const out: StampInfo = {};
  const p = line.indexOf("project=");
  const head = p >= 0 ? line.slice(0, p) : line;
  if (p >= 0) out.project = line.slice(p + "project=".length);
  const n = head.indexOf("name=");
  if (n >= 0) out.name = head.slice(n + "name=".length).trim();
  const c = /(?:^|\s)client=(\S+)/.exec(n >= 0 ? head.slice(0, n) : head);
  if (c) out.client = c[1];
  return out;
}

export class GcOutputError extends Error {}

/** Reads gc.sh's stdout; throws GcOutputError when it is not gc.sh output of a known format. */
export function parseGcOutput(text: string): GcReport {
  const lines = text.split("\n");
  const first = lines[0]?.split("\t");
  if (first?.[0] !== "gc") throw new GcOutputError(`not gc output: ${JSON.stringify(lines[0] ?? "")}`);
  if (first[1] !== "1") throw new GcOutputError(`unknown gc output format ${first[1]}`);
  const mode = first[2] as GcMode;
  const r: GcReport = {
    mode,
    flock: false,
    now: 0,
    goal: { freeKb: 0, budgetKb: 0, criticalKb: 0 },
    trashKb: 0,
    copies: [],
    busy: false,
  };
  for (const line of lines.slice(1)) {
    const f = line.split("\t");
    switch (f[0]) {
      case "flock":
        r.flock = f[1] === "yes";
        break;
      case "now":
        r.now = int(f[1]);
        break;
      case "goal":
        r.goal = { freeKb: int(f[1]), budgetKb: int(f[2]), criticalKb: int(f[3]) };
        break;
      case "trash":
        r.trashKb = int(f[1]);
        break;
      case "busy":
        r.busy = true;
        break;
      case "error":
        r.error = f.slice(1).join("\t");
        break;
      case "copy": {
        const action = f[4] as GcAction;
        const why = f[6] ?? "";
        if (!["keep", "trim", "remove"].includes(action) || !WHYS.includes(why)) break;
        r.copies.push({
          name: f[1] ?? "",
          lastUse: int(f[2]),
          sizeKb: int(f[3]),
          action,
          freedKb: int(f[5]),
          why: why as GcWhy,
          stamp: parseStamp(f.slice(7).join("\t")),
        });
        break;
      }
      case "end":
        r.end = {
          availBeforeKb: int(f[1]),
          availAfterKb: int(f[2]),
          totalKb: int(f[3]),
          usageBeforeKb: int(f[4]),
          usageAfterKb: int(f[5]),
          freedKb: int(f[6]),
          met: f[7] === "yes",
        };
        break;
    }
  }
  return r;
}
