// Step 4: how the worker's copy is brought to the scanned state. Three ways, cheapest first:
//   current — the fingerprint equals the one last synced: nothing to send, the remote script
//             only checks the copy's stamp (sync id);
//   inline  — a few files changed since the last sync (rchd's live view says which, or a diff
//             against the stored snapshot of the last walk): a tar
//             of them rides on the build's own ssh stdin and the script applies it after
//             checking the stamp — no extra round trip;
//   pushed  — anything else: rsync -a --delete, and the copy is stamped with a new id.
import type { TreeScan } from "../transfer/fingerprint.ts";
import { pushArgv, type RsyncCommon, runRsync } from "../transfer/rsync.ts";
import type { FilterRule } from "../transfer/rules.ts";
import { diffTrees, readSnapshot, writeSnapshot } from "../transfer/snapshot.ts";
import { newSyncId, type SyncRecord, writeSyncRecord } from "../transfer/syncstate.ts";
import { makeTar } from "../transfer/tarball.ts";
import { isLive, type LiveState } from "./liveTree.ts";

export type SyncPlan =
  | { kind: "current"; check: string }
  | { kind: "inline"; check: string; stamp: string; tar: Uint8Array; remove: string[]; files: number }
  | { kind: "pushed"; stamp: string; ms: number }
  | { kind: "failed"; reason: string }
  /** The build's session ended before it held the copy's lock: nothing was sent. */
  | { kind: "unlocked" };

/** Beyond this, rsync's delta transfer and compression beat a plain tar. */
const INLINE_MAX_ENTRIES = 1000;
const INLINE_MAX_BYTES = 8 * 1024 * 1024;

export interface SyncInput {
  key: string;
  record: SyncRecord | undefined;
  scan: TreeScan | LiveState;
  root: string;
  remoteDir: string;
  rules: readonly FilterRule[];
  rsync: RsyncCommon;
  /** Skip the cheap ways (the remote copy turned out not to be what we thought). */
  full: boolean;
  /** Resolves once the build's session holds the copy's lock (false: it never will). An rsync
   * into a copy another build is using would delete that build's fresh outputs. */
  locked(): Promise<boolean>;
}

export async function planSync(inp: SyncInput): Promise<SyncPlan> {
  const { record, scan } = inp;
  if (!inp.full && record) {
    if (record.fingerprint === scan.hash) return { kind: "current", check: record.syncId };
    const snap = isLive(scan) ? undefined : readSnapshot(inp.key);
    const diff = isLive(scan)
      ? liveDiff(scan)
      : snap?.syncId === record.syncId
        ? diffTrees(snap, scan, INLINE_MAX_ENTRIES, INLINE_MAX_BYTES)
        : undefined;
    if (diff) {
      const tar = diff.send.length
        ? await makeTar(inp.root, diff.send)
        : { ok: true as const, data: new Uint8Array() };
      if (tar.ok) {
        return {
          kind: "inline",
          check: record.syncId,
          stamp: newSyncId(),
          tar: tar.data,
          remove: diff.remove,
          files: diff.send.length,
        };
      }
    }
  }
  if (!(await inp.locked())) return { kind: "unlocked" };
  const push = await runRsync(
    pushArgv(inp.rsync, inp.root, inp.remoteDir, inp.rules),
    30 * 60_000,
    inp.rsync.signal,
  );
  if (!push.ok) return { kind: "failed", reason: push.reason };
  const stamp = newSyncId();
  // Recorded before the copy carries the stamp: if the run never gets that far, the next check
  // fails and syncs again, which is safe; the other order could trust a copy never stamped.
  commitSync(inp.key, scan, stamp, undefined);
  return { kind: "pushed", stamp, ms: push.ms };
}

/** The copy now holds the scanned tree under `stamp`. A live state is remembered by its view
 * state (no snapshot: writing 200,000 entries is what the view spares); a walk by its snapshot. */
export function commitSync(
  key: string,
  scan: TreeScan | LiveState,
  stamp: string,
  prev: SyncRecord | undefined,
): SyncRecord {
  const rec: SyncRecord = { fingerprint: scan.hash, syncId: stamp };
  if (prev?.outputs) rec.outputs = prev.outputs;
  if (prev?.seeds) rec.seeds = prev.seeds;
  if (isLive(scan)) rec.view = scan.live.token;
  writeSyncRecord(key, rec);
  if (!isLive(scan)) writeSnapshot(key, stamp, scan);
  return rec;
}

/** What the view says changed since the copy's state, as a diff: each changed path is sent (a
 * dir: its entry, for its mode), and one that did not exist then or changed file type is removed
 * first; removed paths go. Undefined beyond the inline limits. */
function liveDiff(scan: LiveState): { send: string[]; remove: string[] } | undefined {
  const d = scan.live.delta;
  if (!d) return undefined;
  const send: string[] = [];
  const remove = [...d.removed];
  let bytes = 0;
  for (const [path, size, , , , created] of d.changed) {
    send.push(path);
    if (size >= 0) bytes += size;
    if (created) remove.push(path);
  }
  if (send.length > INLINE_MAX_ENTRIES || remove.length > INLINE_MAX_ENTRIES || bytes > INLINE_MAX_BYTES)
    return undefined;
  if (remove.some((p) => p.includes("\n"))) return undefined; // the remote script reads removals line by line
  return { send: send.sort(), remove };
}
