// The TypeScript side of the worker program's contract (src/worker/run.sh, whose header documents
// it): the positional arguments (buildArgs) and the sync header on its stdin (syncHeader). All data
// travels this way, never spliced into the program's text.
//
// A word that names the local project root is sent in pieces (splitAtRoot); the program joins them
// with its copy's directory, so the build reaches for the copy, not for this machine's path — or,
// in same-path mode, with the local root again, where the copy is bound.
import type { RemoteEnv } from "./env.ts";

export interface ScriptArgs {
  nonce: string;
  /** Remote project dir: absolute, or relative to the remote home. */
  remoteDir: string;
  /** cwd relative to the project root ("." for the root). */
  relCwd: string;
  /** bun: package dir relative to the root, and the hash of package.json + lockfile. */
  bunDir: string;
  bunHash: string;
  /** List files the build created or changed (in-tree outputs). */
  trackInTree: boolean;
  /** Output dirs relative to the root (reported changed/unchanged/missing, in order). */
  outputDirs: string[];
  /** Configured build dirs (relative) whose text files name the local root: re-rooted after a sync. */
  fixDirs: string[];
  localRoot: string;
  /** The copy's lock: shared (outputs only in cargo's target dir) or exclusive; "" takes none. */
  lockMode: "s" | "x" | "";
  /** How long to wait for the copy's lock while another build holds it (whole seconds). */
  lockWaitS: number;
  /** The worker's slot count: the build holds one of its slot locks (0: none). */
  slots: number;
  /** The slot's note and the copy's stamp (see run.sh's header). */
  who: string;
  stampNote: string;
  /** Run at localRoot itself, in a mount namespace where the copy is bound there (run.sh's
   * run_build_same); false: at the copy's path, words re-joined there (mapped mode). */
  samePath: boolean;
  env: RemoteEnv;
  argv: string[];
}

/** What the script reads from stdin before anything else: how the copy gets current. */
export interface SyncHeader {
  /** Sync id the copy must hold ("" = do not check). */
  check: string;
  /** Sync id to stamp on the copy (after an rsync, or with an inline update), or "". */
  stamp: string;
  /** Paths to remove first (relative to the root; no newlines), then a tar of this many bytes. */
  remove: readonly string[];
  tarBytes: number;
  /** Learn the build's in-tree changes from an overlay rather than a walk of the copy (run.sh's
   * "In-tree changes through an overlay"; same-path mode only, the worker falls back by itself). */
  overlay?: boolean;
}

/** The header line(s); "abort" makes the script exit before doing anything (a dropped session);
 * "lock" makes it take its slot and the copy's lock now and say so, before the header (rch sends
 * it before an rsync into the copy). */
export function syncHeader(h: SyncHeader | "abort" | "lock"): Uint8Array {
  if (h === "abort") return Buffer.from("A\n");
  if (h === "lock") return Buffer.from("L\n");
  if (h.remove.some((p) => p.includes("\n"))) throw new Error("paths to remove may not contain newlines");
  const line = `H ${h.check || "-"} ${h.stamp || "-"} ${h.tarBytes} ${h.remove.length} ${h.overlay ? "o" : "-"}\n`;
  return Buffer.from(line + h.remove.map((p) => `${p}\n`).join(""));
}

export function buildArgs(a: ScriptArgs): string[] {
  if ([...a.outputDirs, ...a.fixDirs].some((o) => o.includes("\n"))) {
    throw new Error("directory names may not contain newlines");
  }
  if (/[\n\r]/.test(a.who + a.stampNote)) throw new Error("notes may not contain newlines");
  return [
    a.nonce,
    a.remoteDir,
    a.relCwd,
    a.bunDir,
    a.bunHash,
    a.trackInTree ? "1" : "",
    a.outputDirs.join("\n"),
    a.fixDirs.join("\n"),
    a.localRoot,
    a.lockMode,
    String(Math.max(0, Math.ceil(a.lockWaitS))),
    String(a.slots),
    a.who,
    a.stampNote,
    a.samePath ? "same" : "",
    String(a.env.plain.length),
    ...a.env.plain.flatMap(([k, v]) => pieces(`${k}=${v}`, a.localRoot)),
    String(a.env.rooted.length),
    ...a.env.rooted.flat(),
    String(a.argv.length),
    ...a.argv.flatMap((w) => pieces(w, a.localRoot)),
  ];
}

/** A word as the script's joining loops read it: the count of pieces, then the pieces. */
function pieces(word: string, root: string): string[] {
  const p = splitAtRoot(word, root);
  return [String(p.length), ...p];
}

/** Characters that continue a path (or a name): the root preceded or followed by one of these is
 * part of some other path (`/srv/home/u/p`, `/home/u/p-old`), not the project root. */
const PATHISH = /[A-Za-z0-9._~+/-]/;

/** Does a path start at `at`: at the word's start, after a separator (`=`, `:`, `,`, a quote, a
 * space in a flag list, `@` of a response file…), or as the value of a short flag (`-I/p`)? */
function pathStartsAt(word: string, at: number): boolean {
  if (at === 0) return true;
  const prev = word[at - 1]!;
  if (!PATHISH.test(prev)) return true;
  const flagStart = at - 2;
  return (
    /[A-Za-z]/.test(prev) &&
    word[flagStart] === "-" &&
    (flagStart === 0 || !PATHISH.test(word[flagStart - 1]!))
  );
}

/**
 * The word cut where it names the local project root (`make -C /p`, `-I/p/include`,
 * `--manifest-path=/p/Cargo.toml`, `CFLAGS=-O2 -I/p/include`); the remote script joins the
 * pieces with its copy's directory, so the build never reaches for this machine's path on the
 * worker.
 */
export function splitAtRoot(word: string, root: string): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (let at = word.indexOf(root); at !== -1; at = word.indexOf(root, at + 1)) {
    const next = word[at + root.length];
    if (!pathStartsAt(word, at) || (next !== undefined && next !== "/" && PATHISH.test(next))) continue;
    pieces.push(word.slice(from, at));
    from = at + root.length;
  }
  pieces.push(word.slice(from));
  return pieces;
}
