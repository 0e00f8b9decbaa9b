// The tree state of a build from rchd's live view instead of a walk (issue 11): the fingerprint,
// the cargo files and — when the copy was last synced from a state the view still knows — the
// paths changed since. Cost independent of the tree's size. Anything else (no daemon, no view,
// a state the view does not know while the tree differs): undefined, and the caller walks the
// tree as before (scanTree stays the reference).
import { lstatSync } from "node:fs";
import type { TreeAnswer, TreeAsk } from "../protocol/selector.ts";
import { type EntryStat, statOf } from "../transfer/fingerprint.ts";
import type { FilterRule, Matcher } from "../transfer/rules.ts";
import type { SyncRecord } from "../transfer/syncstate.ts";

const CLOCK_SLACK_MS = 10;

export interface LiveState {
  hash: string;
  files: number;
  cargoFiles: string[];
  startedAt: number;
  /** A path's stat as of the ask (see below); undefined when it was not part of the tree. */
  entry(rel: string): EntryStat | undefined;
  live: { token: string; delta?: TreeAnswer["delta"] };
}

export const isLive = (s: object): s is LiveState => "live" in s;

/** At most this many changed paths come back; more means an rsync anyway. */
export const LIVE_MAX = 1000;

export async function askLive(
  ask: TreeAsk,
  root: string,
  rules: readonly FilterRule[],
  keep: Matcher,
  record: SyncRecord | undefined,
): Promise<LiveState | undefined> {
  const startedAt = Date.now();
  const since = parseToken(record?.view);
  const a = await ask({ root, rules: [...rules], ...(since ? { since } : {}), max: LIVE_MAX });
  if (!a) return undefined;
  // Nothing to compare against and nothing known to differ: only a walk can say what to send.
  if (a.hash !== record?.fingerprint && !a.delta) return undefined;
  return {
    hash: a.hash,
    files: a.files,
    cargoFiles: a.cargoFiles,
    startedAt,
    entry: (rel) => entryAsOfAsk(root, keep, rel, startedAt),
    live: { token: `${a.epoch}:${a.gen}`, ...(a.delta ? { delta: a.delta } : {}) },
  };
}

export function parseToken(token: string | undefined): { epoch: string; gen: number } | undefined {
  const m = token ? /^([^:]+):(\d+)$/.exec(token) : null;
  return m ? { epoch: m[1]!, gen: Number(m[2]) } : undefined;
}

/**
 * Artifact placement asks whether a file is exactly as it was when the tree state was taken. The
 * view answered for that moment; the file system says the same for any file whose ctime is older
 * (every change of content, mode, name or link count moves ctime to now). A file touched since
 * gets a stat nothing equals: "changed", never overwritten — as the walk would have said. A path
 * the sync rules leave out was never part of the tree (undefined), as in the walk.
 */
function entryAsOfAsk(root: string, keep: Matcher, rel: string, startedAt: number): EntryStat | undefined {
  const parts = rel.split("/");
  for (let i = 1; i < parts.length; i++) {
    if (!keep(parts.slice(0, i).join("/"), parts[i - 1]!, true)) return undefined;
  }
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(`${root}/${rel}`);
  } catch {
    return undefined;
  }
  if (!st || st.isDirectory() || !keep(rel, parts.at(-1)!, false)) return undefined;
  if (st.ctimeMs > startedAt - CLOCK_SLACK_MS) return { size: -2, mtimeMs: 0, mode: 0, ino: 0 };
  return statOf(st);
}
