// The POSIX sh script that runs a build on a worker, in ONE ssh round trip: check that the copy
// is the one we synced, enter the mapped cwd, export the environment, check the tool exists,
// arm a watchdog, install bun deps if needed, run the build, report. Constant text: all data
// arrives as positional arguments (see buildArgs), never spliced into the script.
//
// Before the build starts, the script may only exit with a reserved code and without printing
// the start marker, so rch knows nothing ran and can sync/fall back. The watchdog reads the ssh
// channel's stdin, which rch holds open and never writes: EOF means rch closed it (cancel) or
// died (even SIGKILL), and the watchdog then kills the whole remote process group.
//
// In-tree outputs are "files newer than a marker" touched after setup (so bun install's writes
// do not count); the script spins until the clock has visibly moved past the marker, so a write
// in the same coarse timestamp tick is not missed. The build is exec'd from a subshell while this
// shell's stderr is /dev/null: dash and bash both report a child killed by a signal ("Terminated"),
// one on the command's stderr, the other on its own; a local run prints neither. Every fork
// here costs ~1 ms on a small VM, so the script avoids the ones it can.
//
// The sync decision arrives on stdin (syncHeader) rather than as an argument, so the ssh session
// and remote shell start while rch is still scanning the local tree. An inline update (a few
// changed files since the last sync) follows it as a tar of known length, ahead of the lifeline; the copy's stamp is removed while it is being changed, so a
// half-applied update can never pass for the synced state.
//
// A build dir configured here (cmake, meson) names the local root in its text files; after each
// sync those occurrences are re-rooted at the remote copy (mtimes kept, so nothing reconfigures).
import type { RemoteEnv } from "./env.ts";

/** Exit codes the script uses before the start marker (never seen by the agent). */
export const RemoteCode = {
  needsSync: 211,
  setupFailed: 212,
  toolMissing: 213,
  installFailed: 214,
  inlineSyncFailed: 215,
} as const;

export const SCRIPT = `n=$1 d=$2 c=$3 bun=$4 bunh=$5 tr=$6 outs=$7 fix=$8 lr=$9; shift 9
case $d in /*) ;; *) d=$HOME/$d ;; esac
m=$d.rch-mark-$n
read -r hk chk put tb nd || exit 211
[ "$hk" = H ] || exit 211
[ "$chk" = - ] && chk=
[ "$put" = - ] && put=
if [ -n "$chk" ]; then
  got=; { IFS= read -r got < "$d.rch-sync"; } 2>/dev/null
  [ "$got" = "$chk" ] || exit 211
fi
if [ "$nd" -gt 0 ] || [ "$tb" -gt 0 ]; then
  rm -f "$d.rch-sync" || exit 215
  while [ "$nd" -gt 0 ]; do IFS= read -r p && rm -rf -- "$d/$p" || exit 215; nd=$((nd - 1)); done
  if [ "$tb" -gt 0 ]; then head -c "$tb" | tar -xpf - -C "$d" 2>/dev/null || exit 215; fi
fi
if [ -n "$put" ]; then printf '%s\\n' "$put" > "$d.rch-sync" || exit 212; fi
cd -P "$d" 2>/dev/null || exit 211
dp=$PWD
cd "$c" 2>/dev/null || exit 211
if [ -n "$fix" ] && [ -n "$put" ]; then
  o_ifs=$IFS; IFS='
'; set -f
  for f in $(for x in $fix; do grep -rlIF -e "$lr" "$d/$x" 2>/dev/null; done); do
    t=$f.rch-fix
    A=$lr B=$d awk 'BEGIN { a = ENVIRON["A"]; b = ENVIRON["B"]; n = length(a) }
      { s = $0; o = ""; while ((i = index(s, a)) > 0) { o = o substr(s, 1, i - 1) b; s = substr(s, i + n) }; print o s }' "$f" > "$t" &&
      touch -r "$f" "$t" && cat "$t" > "$f" && touch -r "$t" "$f"
    rm -f "$t"
  done
  IFS=$o_ifs; set +f
fi
ne=$1; shift
while [ "$ne" -gt 0 ]; do k=$1 w=$2; shift 2; while [ "$k" -gt 1 ]; do w=$w$d$1; shift; k=$((k - 1)); done; export "$w" || exit 212; ne=$((ne - 1)); done
nr=$1; shift
while [ "$nr" -gt 0 ]; do export "$1=$d/$2" || exit 212; shift 2; nr=$((nr - 1)); done
na=$1; shift
while [ "$na" -gt 0 ]; do k=$1 w=$2; shift 2; while [ "$k" -gt 1 ]; do w=$w$d$1; shift; k=$((k - 1)); done; set -- "$@" "$w"; na=$((na - 1)); done
command -v "$1" >/dev/null 2>&1 || exit 213
pg=; { read -r _ _ _ _ pg _ < /proc/$$/stat; } 2>/dev/null
[ -n "$pg" ] || pg=$(ps -o pgid= -p $$ | tr -d ' ')
[ "$pg" -gt 1 ] 2>/dev/null || exit 212
exec 3<&0
( trap '' TERM INT HUP; cat >/dev/null; kill -s TERM -- -$pg; sleep 2; kill -s KILL -- -$pg ) <&3 >/dev/null 2>&1 3<&- &
exec 3<&-
if [ -n "$bun" ]; then
  have=; { IFS= read -r have < "$d.rch-bun"; } 2>/dev/null
  if [ "$have" != "$bunh" ]; then
    ( cd "$d/$bun" && if [ -e bun.lock ] || [ -e bun.lockb ]; then bun install --frozen-lockfile; else bun install; fi ) </dev/null >"$d.rch-bun.log" 2>&1 || exit 214
    printf '%s\\n' "$bunh" > "$d.rch-bun"
  fi
fi
: > "$m" || exit 212
if [ -n "$tr" ] && [ -n "$put" ]; then find "\${d%/*}" -maxdepth 1 -name "\${d##*/}.rch-new-*" -mmin +60 -exec rm -f {} + 2>/dev/null; fi
i=0; : > "$m.t"
while ! [ "$m.t" -nt "$m" ] && [ $i -lt 5000 ]; do : > "$m.t"; i=$((i + 1)); done
printf '\\036rch-start-%s %s\\t%s\\t%s\\n' "$n" "$pg" "$d" "$dp" >&2
trap 'x=1' TERM INT HUP
exec 4>&2 2>/dev/null
( exec "$@" 2>&4 4>&- ) </dev/null
rc=$?
exec 2>&4 4>&-
st=
if [ -n "$outs" ]; then
  o_ifs=$IFS; IFS='
'; set -f
  for o in $outs; do
    if ! [ -d "$d/$o" ]; then st=\${st}m
    elif find "$d/$o" -newer "$m" -print -quit > "$m.t" 2>/dev/null && [ -s "$m.t" ]; then st=\${st}c
    else st=\${st}u; fi
  done
  IFS=$o_ifs; set +f
fi
nf=0 rmx=
if [ -n "$tr" ]; then
  l=$d.rch-new-$n
  ( cd "$d" && find . \\( -name .git -o -name node_modules -o -name '.rch-stage-*' \\) -prune -o -newer "$m" \\( -type f -o -type l \\) -print0 ) > "$l" 2>/dev/null
  if [ -s "$l" ]; then nf=1; else rmx=$l; fi
fi
rm -f "$m" "$m.t" \${rmx:+"$rmx"}
printf '\\036rch-exit-%s %s %s %s\\n' "$n" "$rc" "\${st:--}" "$nf" >&2
exit $rc`;

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
}

/** The header line(s); "abort" makes the script exit before doing anything (we rsync first). */
export function syncHeader(h: SyncHeader | "abort"): Uint8Array {
  if (h === "abort") return Buffer.from("A\n");
  if (h.remove.some((p) => p.includes("\n"))) throw new Error("paths to remove may not contain newlines");
  const line = `H ${h.check || "-"} ${h.stamp || "-"} ${h.tarBytes} ${h.remove.length}\n`;
  return Buffer.from(line + h.remove.map((p) => `${p}\n`).join(""));
}

export function buildArgs(a: ScriptArgs): string[] {
  if ([...a.outputDirs, ...a.fixDirs].some((o) => o.includes("\n"))) {
    throw new Error("directory names may not contain newlines");
  }
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
