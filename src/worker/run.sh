# shellcheck shell=sh
#
# rch's worker-side build runner. rch sends this whole file as the script of ONE ssh command,
#   sh -c '<this file>' rch ARG...
# (src/ssh/remote.ts quotes every word), so a build costs one round trip. It checks that the copy
# is the one rch synced (applying a small inline update first if rch sent one), enters the mapped
# cwd, exports the environment, checks the tool exists, arms a watchdog, installs bun deps if
# needed, runs the build, and reports. The text is constant: every piece of data arrives as an
# argument or on stdin and is never spliced into code. It runs under any POSIX sh (dash, bash,
# busybox ash...); every fork costs ~1 ms on a small VM, so it avoids the ones it can.
#
# Arguments (built by buildArgs in src/exec/script.ts):
#   1 nonce          8 hex digits: names this run's markers and per-build files
#   2 copy           the project copy: absolute, or relative to $HOME
#   3 cwd            the build's cwd, relative to the copy ("." for its root)
#   4 bun_dir        bun package dir relative to the copy, "" when the build does not need bun deps
#   5 bun_hash       hash of package.json + lockfile the copy's node_modules must have been made from
#   6 track_in_tree  "1": list the files the build created or changed (make, gcc...); "" otherwise
#   7 output_dirs    output dirs relative to the copy, one per line: reported changed/unchanged/missing,
#                    left out of the in-tree list (rch pulls them whole), watched for deletions, and
#                    their new executables reported (see the notes below)
#   8 fix_dirs       configured build dirs (cmake, meson), one per line, whose text files name the
#                    local root: re-rooted at the copy after each sync; watched for deletions too
#   9 local_root     the project's absolute path on rch's machine
#  10 lock_mode      "s": the copy's lock shared (cargo: outputs only in the target dir, which
#                    syncs leave alone), "x": exclusive (in-tree outputs); "": take no locks
#  11 lock_wait      seconds to wait for the copy's lock while another build holds it
#  12 slots          the worker's slot count N: hold one of .rch/slots/0..N-1 ("0": no slots)
#  13 who            this build's note for its slot: "client=<id> name=<name> project=<name> since=<s>"
#  14 stamp_note     the copy's last-use stamp: "client=<id> name=<name> project=<local abs root>"
#  15 path_mode      "same": run the build at local_root itself, in a private mount namespace where
#                    the copy is bound there (see run_build_same); "": at the copy's path (mapped)
#   then three lists, each a count followed by its items:
#     environment  N words NAME=value, each as pieces (see below)
#     rooted env   M pairs NAME REL, exported as NAME=<copy>/REL
#     argv         A words, each as pieces
#   A word "as pieces" is a count k then k strings; the word is those strings joined with the
#   copy's directory (mapped mode) or with local_root (same-path mode, where the copy is there).
#   rch cuts a word wherever it names the local project root (`-I/p/include`), so a mapped build
#   reaches for the copy, never for rch's path. Rooted env values are joined the same way.
#
# Locks (see "State on a worker" in src/worker/README.md), taken when stdin says the build goes
# ahead ("L" or "H" below; a dropped session never takes them), before the copy is read or
# written, and held by this shell until rch closes stdin, after it has brought the artifacts back:
# a slot (fd 7, `flock -n`: none free exits EXIT_WORKER_FULL) and the copy's lock (fd 8, shared or
# exclusive, waiting up to lock_wait; then EXIT_COPY_BUSY), then the copy's stamp is written. With
# both held it prints the locked marker; only then may rch rsync into the copy. A worker without
# flock(1) takes no locks (and says so in the marker). The build itself runs with fds 7 and 8
# closed: nothing it leaves behind can pin a slot or the copy.
#
# stdin: one header line, written by syncHeader (src/exec/script.ts) once rch has scanned its tree
# (so the ssh session and this shell start meanwhile), optionally preceded by a line "L": take the
# locks now and say so, before the header (rch sends it before an rsync into the copy and waits
# for the locked marker):
#   H <check> <stamp> <tar_bytes> <remove_count> [<overlay>]
#     check   the sync id the copy must hold ("-": do not check)
#     stamp   the sync id to record for the copy after this header's update ("-": none)
#     overlay "o": in same-path mode, learn the build's in-tree changes from an overlay rather
#             than a walk of the copy (see "In-tree changes through an overlay"); "-" or absent: walk
#   followed by remove_count lines, each a path (relative to the copy) to remove, then tar_bytes
#   bytes of tar to unpack into the copy. Any other first line (rch sends "A") exits with
#   EXIT_NEEDS_SYNC before touching anything: rch dropped this session. After that stdin stays
#   open and silent; it is the watchdog's lifeline (see start_watchdog). After the exit marker this
#   shell waits for its EOF too: rch closes stdin once the artifacts are back, which ends the
#   session and releases the locks (rch's death does the same).
#
# stderr: the build's stderr, plus two lines for rch (src/exec/markers.ts), each starting with
# \036 (RS) and carrying the nonce so a build cannot forge them by accident:
#   \036rch-locked-<nonce> <flock>          the locks are held ("flock") or flock(1) is missing
#                                           ("none"); before the sync header is read
#   \036rch-held-<nonce> <who note>         when no slot is free: one line per held slot
#   \036rch-start-<nonce> <pgid>\t<copy>\t<copy's physical path>[\tsame]   before the build;
#                                           "same": it runs at local_root (same-path mode)
#   \036rch-gone-<nonce> <path>     after it: a file or symlink of a watched dir (output_dirs,
#                                  fix_dirs) that was there before the build and is not after it
#   \036rch-exe-<nonce> <b4> <b5> <b18> <b19> <path>   after it: an executable ELF file the build
#                                  wrote in an output dir, with the decimal values of its header
#                                  bytes EI_CLASS, EI_DATA and e_machine (two bytes); rch checks
#                                  them against its own machine's before pulling anything
#     paths in these notes are relative to the copy; paths holding a newline are never listed
#   \036rch-exit-<nonce> <status> <states> <new_files>             after it
#     states     one letter per output dir, in argument order: c changed during the build,
#                u unchanged, m missing; "-" when there are none
#     new_files  1 when <copy>.rch-new-<nonce> lists files for rch to pull, 0 when the build
#                created or changed nothing, E when the list could not be written (a full disk):
#                rch must not take "nothing" for an answer
# Anything before the start marker is the login shell's (kept by rch for diagnostics).
#
# Exit status. Before the start marker only these reserved codes (the table rch decodes them with
# is src/worker/exits.ts), and rch then knows nothing ran:
#   211 EXIT_NEEDS_SYNC          no/aborted header, the copy's stamp is not `check`, or the copy or
#                                cwd is missing: rch rsyncs in full and tries once more, else runs
#                                the build locally
#   212 EXIT_SETUP_FAILED        could not write the stamp, export a variable, find the process
#                                group or create the mark: rch runs the build locally
#   213 EXIT_TOOL_MISSING        argv[0] is not on the worker's PATH: rch runs the build locally
#   214 EXIT_INSTALL_FAILED      bun install failed (its output: <copy>.rch-bun.log): locally
#   215 EXIT_INLINE_SYNC_FAILED  removing a path or unpacking the tar failed: as for 211
#   216 EXIT_COPY_BUSY           another build held the copy's lock for lock_wait seconds (another
#                                workstation, or a daemon that lost track of it): locally
#   217 EXIT_WORKER_FULL         every slot is held (rch reads the held lines): another worker, or
#                                locally
#   210 EXIT_SAME_PATH_FAILED    same-path mode: the mount namespace could not be set up (the cause
#                                is the last stderr line): the copy is synced and stamped, nothing
#                                ran; rch runs the build again in mapped mode
# After the start marker: the build's own status (128+N when a signal N killed it). 255 is ssh's.
#
# Files kept next to the copy:
#   <copy>.rch-sync           the sync id the copy holds; removed while an inline update is being
#                             applied, so a half-applied update never passes for the synced state
#   <copy>.rch-bun            bun_hash of the last successful bun install in the copy
#   <copy>.rch-bun.log        that install's output
#   <copy>.rch-mark-<nonce>   during a build: its start time (plus a .t scratch file); removed
#                             when the build ends
#   <copy>.rch-new-<nonce>    after an in-tree build: the NUL-separated list of files it created
#                             or changed, relative to the copy. Removed when empty; otherwise the
#                             pull that fetches the files removes it (pull.sh); one whose pull
#                             never happened (rch killed first) is swept by a later build
#   <copy>.rch-mark-<nonce>.ns  same-path mode, during set-up: what the namespace set-up said
#   <copy>.rch-mark-<nonce>.go  same-path mode: non-empty once the build was started in it
#   <copy>.rch-ov-<nonce>/    during an overlay build (prepare_overlay): its upper and work dirs
#                             and scratch lists; removed once merged, swept an hour old if killed
#   <copy>.rch-rerooted       the copy's fix_dirs were re-rooted at the copy (mapped mode); a
#                             same-path build re-roots them back at local_root first
#   <copy>.rch-pre-<nonce>    during a build: the files of the watched dirs before it (plus a
#                             .post scratch file after it); removed when the build ends
#   and, inside fix_dirs, <file>.rch-fix for a moment while <file> is re-rooted.

readonly EXIT_NEEDS_SYNC=211 EXIT_SETUP_FAILED=212 EXIT_TOOL_MISSING=213 EXIT_INSTALL_FAILED=214 \
  EXIT_INLINE_SYNC_FAILED=215 EXIT_COPY_BUSY=216 EXIT_WORKER_FULL=217 EXIT_SAME_PATH_FAILED=210

newline='
'

nonce=$1 copy=$2 cwd=$3 bun_dir=$4 bun_hash=$5 track_in_tree=$6 output_dirs=$7 fix_dirs=$8 local_root=$9
shift 9
lock_mode=$1 lock_wait=$2 slots=$3 who=$4 stamp_note=$5 path_mode=$6
shift 6
case $copy in /*) ;; *) copy=$HOME/$copy ;; esac
# Where the build sees the project: words and rooted values that name the local root are joined
# with it.
base=$copy
if [ "$path_mode" = same ]; then base=$local_root; fi
mark=$copy.rch-mark-$nonce
state=${copy%/*}/.rch
copy_name=${copy##*/}

# A slot first (no waiting: when every slot is held, rch asks its daemon for another worker or
# waits there), then the copy's lock, then the stamp. Directories are made only when missing, and
# `command exec` keeps a failed redirection from ending the script (dash and bash --posix exit on
# a failed plain `exec`). Lock files are opened read-only: flock works on such descriptors, so
# files another account created can still be locked.
take_locks() {
  locked_with=none
  [ -n "$lock_mode" ] || return 0
  command -v flock >/dev/null 2>&1 || return 0
  if ! [ -d "$state/slots" ] || ! [ -d "$state/locks" ] || ! [ -d "$state/stamps" ]; then
    mkdir -p "$state/slots" "$state/locks" "$state/stamps" 2>/dev/null || exit "$EXIT_SETUP_FAILED"
  fi
  [ "$slots" -gt 0 ] && take_slot
  lock=$state/locks/$copy_name
  [ -e "$lock" ] || : >>"$lock" 2>/dev/null
  # Braces: a redirection on `exec` itself would stay in force (stderr gone for good).
  { command exec 8<"$lock"; } 2>/dev/null || exit "$EXIT_SETUP_FAILED"
  flock "-$lock_mode" -w "$lock_wait" 8 || exit "$EXIT_COPY_BUSY"
  printf '%s\n' "$stamp_note" >"$state/stamps/$copy_name" 2>/dev/null || exit "$EXIT_SETUP_FAILED"
  locked_with=flock
}

lock_and_say() {
  take_locks
  printf '\036rch-locked-%s %s\n' "$nonce" "$locked_with" >&2
}

# Tries each slot once, starting at one that depends on this shell's pid, so concurrent builds
# from several workstations do not all queue on slot 0.
take_slot() {
  slot=$(($$ % slots))
  tried=0
  while [ "$tried" -lt "$slots" ]; do
    slot_file=$state/slots/$slot
    [ -e "$slot_file" ] || : >>"$slot_file" 2>/dev/null
    if { command exec 7<"$slot_file"; } 2>/dev/null && flock -n 7; then
      printf '%s\n' "$who" >"$slot_file.who" 2>/dev/null
      return 0
    fi
    command exec 7<&-
    slot=$(((slot + 1) % slots))
    tried=$((tried + 1))
  done
  report_holders
  exit "$EXIT_WORKER_FULL"
}

# Who holds the slots (their notes), for rch's reason line and its daemon's count of builds from
# other workstations. A note is only read for a slot that is locked right now.
report_holders() {
  slot=0
  while [ "$slot" -lt "$slots" ]; do
    slot_file=$state/slots/$slot
    if ! flock -n -s "$slot_file" true 2>/dev/null; then
      note=
      { IFS= read -r note <"$slot_file.who"; } 2>/dev/null
      printf '\036rch-held-%s %s\n' "$nonce" "${note:-unknown}" >&2
    fi
    slot=$((slot + 1))
  done
}

# The sync decision. `read` takes the pipe a byte at a time, so the paths and the tar after the
# header are left for the steps that read them.
read_sync_header() {
  read -r header check stamp tar_bytes remove_count overlay || exit "$EXIT_NEEDS_SYNC"
  if [ "$header" = L ]; then
    lock_and_say
    read -r header check stamp tar_bytes remove_count overlay || exit "$EXIT_NEEDS_SYNC"
  elif [ "$header" = H ]; then
    lock_and_say
  fi
  [ "$header" = H ] || exit "$EXIT_NEEDS_SYNC"
  if [ "$check" = - ]; then check=; fi
  if [ "$stamp" = - ]; then stamp=; fi
}

# A copy that is not the one rch last synced (another machine's rsync, a half-applied update, an
# evicted copy) must not build: rch then syncs in full.
check_stamp() {
  [ -n "$check" ] || return 0
  held=
  { IFS= read -r held <"$copy.rch-sync"; } 2>/dev/null
  [ "$held" = "$check" ] || exit "$EXIT_NEEDS_SYNC"
}

# The few files changed since the last sync, sent ahead of the lifeline: removals, then a tar of
# known length (head -c stops there; the rest of stdin stays open).
apply_inline_update() {
  [ "$remove_count" -gt 0 ] || [ "$tar_bytes" -gt 0 ] || return 0
  rm -f "$copy.rch-sync" || exit "$EXIT_INLINE_SYNC_FAILED"
  while [ "$remove_count" -gt 0 ]; do
    IFS= read -r path || exit "$EXIT_INLINE_SYNC_FAILED"
    rm -rf -- "${copy:?}/$path" || exit "$EXIT_INLINE_SYNC_FAILED"
    remove_count=$((remove_count - 1))
  done
  if [ "$tar_bytes" -gt 0 ]; then
    head -c "$tar_bytes" | tar -xpf - -C "$copy" 2>/dev/null || exit "$EXIT_INLINE_SYNC_FAILED"
  fi
}

write_stamp() {
  [ -n "$stamp" ] || return 0
  printf '%s\n' "$stamp" >"$copy.rch-sync" || exit "$EXIT_SETUP_FAILED"
}

# The physical path too: a build prints whichever it resolved, and rch maps both back.
enter_cwd() {
  cd -P "$copy" 2>/dev/null || exit "$EXIT_NEEDS_SYNC"
  physical_copy=$PWD
  cd "$cwd" 2>/dev/null || exit "$EXIT_NEEDS_SYNC"
}

# A build dir configured on rch's machine names the local root in its text files (CMakeCache.txt,
# build.ninja...). In mapped mode, after each sync those occurrences are re-rooted at the copy (and
# <copy>.rch-rerooted says so; a copy without it, last built in same-path mode, is re-rooted too).
# In same-path mode the local paths are already right: nothing is rewritten, except a copy a
# mapped build re-rooted, which is put back at the local root once. GC removes the mark with the
# copy (gc.sh).
reroot_build_dirs() {
  [ -n "$fix_dirs" ] || return 0
  if [ "$path_mode" = same ]; then
    [ -e "$copy.rch-rerooted" ] || return 0
    reroot "$copy" "$local_root"
    rm -f "$copy.rch-rerooted"
  elif [ -n "$stamp" ] || ! [ -e "$copy.rch-rerooted" ]; then
    reroot "$local_root" "$copy"
    : >"$copy.rch-rerooted"
  fi
}

# Replaces $1 with $2 in every text file of fix_dirs that names $1. The awk program gets both
# paths through ENVIRON (awk -v would interpret backslashes in them); `cat >` keeps the file's
# inode and mode, and touch -r its mtime, so nothing thinks it must reconfigure.
reroot() {
  saved_ifs=$IFS
  IFS=$newline
  set -f
  for file in $(for dir in $fix_dirs; do grep -rlIF -e "$1" "$copy/$dir" 2>/dev/null; done); do
    tmp=$file.rch-fix
    RCH_FROM=$1 RCH_TO=$2 awk '
      BEGIN { from = ENVIRON["RCH_FROM"]; to = ENVIRON["RCH_TO"]; n = length(from) }
      {
        rest = $0; out = ""
        while ((i = index(rest, from)) > 0) { out = out substr(rest, 1, i - 1) to; rest = substr(rest, i + n) }
        print out rest
      }' "$file" >"$tmp" &&
      touch -r "$file" "$tmp" && cat "$tmp" >"$file" && touch -r "$tmp" "$file"
    rm -f "$tmp"
  done
  IFS=$saved_ifs
  set +f
}

# Reads one word as pieces from its arguments (k, then k strings): sets $word to the pieces joined
# with $base (the copy's directory, or local_root in same-path mode) and $used to how many
# arguments that took.
join_word() {
  used=$(($1 + 1))
  left=$1
  word=$2
  shift 2
  while [ "$left" -gt 1 ]; do
    word=$word$base$1
    shift
    left=$((left - 1))
  done
}

# The process group the build will run in: the watchdog and rch's cancel signal all of it. /proc
# first (no fork); ps where there is no /proc. A group id of 1 or less would signal everything.
find_pgid() {
  pgid=
  { read -r _ _ _ _ pgid _ <"/proc/$$/stat"; } 2>/dev/null
  [ -n "$pgid" ] || pgid=$(ps -o pgid= -p $$ | tr -d ' ')
  [ "$pgid" -gt 1 ] 2>/dev/null || exit "$EXIT_SETUP_FAILED"
}

# The watchdog reads the ssh channel's stdin, which rch holds open and never writes: EOF means rch
# closed it (cancel, or the build is over and its artifacts are back) or died (even SIGKILL), and
# the watchdog then kills the whole process group, TERM first, KILL 2 s later. It ignores those
# signals itself so it lives to send the KILL, and it leaves as soon as nothing else of the group
# is left (which is the usual case: a build that ended), so it does not linger on the worker.
# Without job control, a background job's stdin is /dev/null before its own redirections apply,
# so stdin reaches it through fd 3.
start_watchdog() {
  exec 3<&0
  (
    trap '' TERM INT HUP
    cat >/dev/null
    kill -s TERM -- "-$pgid"
    waited=0
    while [ "$waited" -lt 20 ] && group_has_others; do
      sleep 0.1 2>/dev/null || sleep 1
      waited=$((waited + 1))
    done
    group_has_others && kill -s KILL -- "-$pgid"
  ) <&3 >/dev/null 2>&1 3<&- 7<&- 8<&- &
  exec 3<&-
}

# Is any process of the build's group alive besides the caller (the watchdog, a subshell: its
# own pid is read from /proc/self, since $$ names the parent)? Reads /proc with builtins only;
# without /proc, assume so (the watchdog then waits its 2 s and sends the KILL).
group_has_others() {
  [ -r /proc/self/stat ] || return 0
  read -r me _ </proc/self/stat
  for stat in /proc/[0-9]*/stat; do
    { IFS= read -r line <"$stat"; } 2>/dev/null || continue
    # "pid (comm) state ppid pgrp ...": comm may hold spaces, so count from its closing paren.
    # shellcheck disable=SC2086 # the fields after comm, split on purpose
    set -- ${line##*) }
    if [ "$3" = "$pgid" ] && [ "${line%% *}" != "$me" ]; then return 0; fi
  done
  return 1
}

# node_modules is not synced; the copy installs its own when package.json or the lockfile changed.
install_bun_deps() {
  [ -n "$bun_dir" ] || return 0
  installed=
  { IFS= read -r installed <"$copy.rch-bun"; } 2>/dev/null
  [ "$installed" != "$bun_hash" ] || return 0
  (
    cd "$copy/$bun_dir" &&
      if [ -e bun.lock ] || [ -e bun.lockb ]; then bun install --frozen-lockfile; else bun install; fi
  ) </dev/null >"$copy.rch-bun.log" 2>&1 || exit "$EXIT_INSTALL_FAILED"
  printf '%s\n' "$bun_hash" >"$copy.rch-bun"
}

# A new-file list is removed by the pull that reads it (pull.sh); one still here lost its rch
# before the pull. It is swept once an hour old: a younger one may belong to a build on this copy
# whose pull is still to come (another machine's, or one that a restarted daemon lost track of).
# The glob costs no fork; find (~1 ms) runs only when some list is there.
# An overlay's dirs (prepare_overlay) left by a run that was killed go the same way; their work
# dir is mode 000 (overlayfs' own), so it is opened up first.
sweep_stale_lists() {
  for stale in "$copy".rch-new-*; do
    [ -e "$stale" ] || break # no match: the glob stayed as written
    find "${copy%/*}" -maxdepth 1 -name "${copy##*/}.rch-new-*" -mmin +60 -exec rm -f {} + 2>/dev/null
    break
  done
  for stale in "$copy".rch-ov-*; do
    [ -e "$stale" ] || return 0
    find "${copy%/*}" -maxdepth 1 -name "${copy##*/}.rch-ov-*" -mmin +60 \
      -exec chmod -R u+rwx {} + -exec rm -rf {} + 2>/dev/null
    return 0
  done
}

# In-tree outputs are "files newer than the mark", touched after setup so bun install's writes do
# not count. The loop spins until the clock has visibly moved past the mark, so a write in the same
# coarse timestamp tick is not missed.
mark_start() {
  : >"$mark" || exit "$EXIT_SETUP_FAILED"
  sweep_stale_lists
  spins=0
  : >"$mark.t"
  # shellcheck disable=SC3013 # -nt is not in POSIX, but dash, bash, busybox ash, ksh and zsh all
  # have it, and the alternative (find -newer) forks on every spin.
  while ! [ "$mark.t" -nt "$mark" ] && [ "$spins" -lt 5000 ]; do
    : >"$mark.t"
    spins=$((spins + 1))
  done
}

# The build runs in a subshell that execs it, while this shell's own stderr is /dev/null: dash and
# bash both report a child killed by a signal ("Terminated"), one on the command's stderr, the
# other on its own, and a local run prints neither. The trap keeps this shell alive through the
# group's TERM/INT/HUP so it can report; unlike an ignored signal, a trapped one is reset to the
# default in the build.
run_build() {
  trap : TERM INT HUP
  exec 4>&2 2>/dev/null
  (exec "$@" 2>&4 4>&- 7<&- 8<&-) </dev/null
  status=$?
  exec 2>&4 4>&-
}

# Same-path mode: the build runs in a private mount namespace (util-linux unshare, nothing
# installed) in which the copy is bound at local_root, so every path it records (debug info,
# .ninja_log command lines, CMake/Meson state) is the local one. `unshare -rm` makes a user
# namespace where this user is root, with a private mount namespace (propagation private, so no
# mount leaks out); NS_PROGRAM mounts there, then a nested `unshare --user --map-user=UID
# --map-group=GID` drops back to this user's own ids and NS_GO starts the build. Everything else
# the worker has (its home, toolchains, /tmp, remote_root) stays where it was. Measured on Debian
# 12 (util-linux 2.38.1): ~4 ms per build against the mapped mode (bench/samePath.bench.ts).
#
# A set-up failure must never pass for the build's status: NS_GO writes a byte to fd 5 (this
# build's .go file, opened before any mount, so no mount can hide it) just before it prints the
# start marker. A run without that byte never started: this shell exits EXIT_SAME_PATH_FAILED
# with the set-up's last stderr line, and rch runs the build in mapped mode.
#
# Arguments of NS_PROGRAM: copy local_root cwd uid gid NS_GO OV BINDS nonce pgid copy
# physical_copy ARGV... (OV and BINDS: see "In-tree changes through an overlay"; "" without)
# Its mount point for local_root, walking down from /, at the first prefix P that is not a
# searchable dir (Q its parent):
#   - none (local_root and all its parents are there): bound over local_root directly
#   - P is a dir this user cannot search: a tmpfs over P (its entries were invisible anyway)
#   - P missing and Q writable (/tmp, the user's home): the missing dirs are made for real, left
#     as empty dirs. A tmpfs over a dir the build may write into would swallow what it writes.
#   - otherwise (Q not writable, or P is a file): a tmpfs over Q with each of Q's entries bound
#     back (symlinks copied), at most 64 of them (one mount each); only / above: mapped mode.
# The missing dirs are made by the bind itself (mount --mkdir, util-linux 2.38; one exec fewer
# than mkdir -p, which older ones get instead).
# Refused (mapped mode): a local_root that would hide the worker's home or the copy.
# An overlay that cannot make its work dir mounts read-only (the kernel says so only in its log):
# `[ -w ]` (access(2), EROFS) notices, and the copy is bound over it as without one.
# With an overlay (OV), NS_PROGRAM waits for the build instead of becoming it, then makes one rm
# for every entry of the copy the merged view no longer has (under each dir the build wrote in)
# and for the overlay's work dir: overlayfs leaves a mode-000 dir there, holding the inode its
# whiteouts share, which the worker user could not empty; here this user is root.
# shellcheck disable=SC2016 # a program for a nested sh: its variables expand there
NS_PROGRAM='
copy=$1 root=$2 cwd=$3 uid=$4 gid=$5 go=$6 ov=$7 binds=$8
shift 8
fail() { printf "%s\n" "$*" >&2; exit 1; }
case $root in /?*) ;; *) fail "local root $root is not a path below /" ;; esac
case $HOME/ in "$root"/*) fail "$root would hide the worker home" ;; esac
case $copy/ in "$root"/*) fail "$root would hide the project copy" ;; esac
cover() {
  cd "$1" || fail "cannot enter $1"
  n=0
  for e in * .[!.]* ..?*; do if [ -e "$e" ] || [ -L "$e" ]; then n=$((n + 1)); fi; done
  [ "$n" -le 64 ] || fail "$1 has $n entries to keep visible (more than 64)"
  mount -t tmpfs -o mode=755,size=1m rch-ns "$1" || fail "cannot mount a tmpfs on $1"
  for e in * .[!.]* ..?*; do
    if [ -L "$e" ]; then ln -s "$(readlink "$e")" "$1/$e"
    elif [ -d "$e" ]; then mkdir "$1/$e" && mount -c --rbind "$e" "$1/$e"
    elif [ -e "$e" ]; then : >"$1/$e" && mount -c --bind "$e" "$1/$e"
    fi || fail "cannot keep $1/$e visible"
  done
  cd /
}
at= rest=${root#/} make=
while [ -n "$rest" ]; do
  comp=${rest%%/*}
  case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac
  [ -n "$comp" ] || continue
  next=$at/$comp
  if [ -z "$rest" ] && [ -d "$next" ]; then break; fi
  if [ -n "$rest" ] && [ -d "$next" ] && [ -x "$next" ]; then at=$next; continue; fi
  if [ -d "$next" ]; then
    mount -t tmpfs -o mode=755,size=1m rch-ns "$next" || fail "cannot mount a tmpfs on $next"
  elif ! [ -e "$next" ] && ! [ -L "$next" ] && [ -w "${at:-/}" ]; then :
  elif [ -z "$at" ]; then fail "no place for $root on this worker (only / is above it)"
  else cover "$at"
  fi
  make=1
  break
done
mount_copy() {
  if [ -n "$ov" ]; then mount -t overlay rch-ov -o "lowerdir=$copy,upperdir=$ov/u,workdir=$ov/w,userxattr" "$@" "$root"
  else mount --rbind "$@" "$copy" "$root"
  fi
}
place_copy() {
  if [ -z "$make" ]; then mount_copy
  elif ! mount_copy --mkdir 2>/dev/null; then mkdir -p "$root" && mount_copy
  fi
}
if [ -n "$ov" ] && ! place_copy 2>/dev/null; then ov=; fi
if [ -n "$ov" ] && ! [ -w "$root" ]; then ov=; fi
if [ -z "$ov" ]; then
  place_copy || fail "cannot bind the copy at $root"
else
  : >"$ov/on" || fail "cannot write $ov/on"
  saved_ifs=$IFS
  IFS="
"
  set -f
  for d in $binds; do mount --rbind "$copy/$d" "$root/$d" || fail "cannot bind $d through the overlay"; done
  IFS=$saved_ifs
  set +f
fi
cd "$root/$cwd" || fail "cannot enter $root/$cwd"
[ -n "$ov" ] || exec unshare --user --map-user="$uid" --map-group="$gid" sh -c "$go" rch-go "$@"
trap : TERM INT HUP
unshare --user --map-user="$uid" --map-group="$gid" sh -c "$go" rch-go "$@"
status=$?
cd / || exit "$status"
set -- "$ov/w"
find "$ov/u" -mindepth 1 -type d ! -path "*
*" >"$ov/dirs" 2>/dev/null || exit "$status"
while IFS= read -r d; do
  rel=${d#"$ov/u"}
  [ -d "$copy$rel" ] && ! [ -L "$copy$rel" ] || continue
  for c in "$copy$rel"/* "$copy$rel"/.[!.]* "$copy$rel"/..?*; do
    if [ -e "$c" ] || [ -L "$c" ]; then
      n=${c##*/}
      [ -e "$root$rel/$n" ] || [ -L "$root$rel/$n" ] || set -- "$@" "$c"
    fi
  done
done <"$ov/dirs"
rm -rf -- "$@"
exit "$status"
'
# Arguments of NS_GO: nonce pgid copy physical_copy ARGV. Runs as this user again, in local_root.
# shellcheck disable=SC2016 # as NS_PROGRAM
NS_GO='
printf x >&5 || exit 1
exec 5>&-
printf "\036rch-start-%s %s\t%s\t%s\tsame\n" "$1" "$2" "$3" "$4" >&4
exec 2>&4 4>&-
shift 4
exec "$@"
'

# As run_build, through the namespace. The user's real ids come from /proc (no fork); without
# /proc the set-up fails and the build runs mapped.
run_build_same() {
  trap : TERM INT HUP
  uid='' gid=''
  while read -r key id _; do
    case $key in Uid:) uid=$id ;; Gid:) gid=$id ;; esac
  done </proc/self/status 2>/dev/null
  exec 4>&2 5>"$mark.go" 2>/dev/null
  (exec unshare -rm sh -c "$NS_PROGRAM" rch-ns "$copy" "$local_root" "$cwd" "$uid" "$gid" "$NS_GO" "$ov" "$binds" \
    "$nonce" "$pgid" "$copy" "$physical_copy" "$@" 2>"$mark.ns" 7<&- 8<&-) </dev/null
  status=$?
  exec 2>&4 4>&- 5>&-
  [ -s "$mark.go" ] && return 0
  if [ -n "$ov" ]; then rm -rf -- "$ov"; fi
  why=
  while IFS= read -r line; do
    if [ -n "$line" ]; then why=$line; fi
  done <"$mark.ns" 2>/dev/null
  rm -f "$mark" "$mark.t" "$mark.ns" "$mark.go"
  printf 'same path: %s\n' "${why:-the namespace set-up exited $status}" >&2
  exit "$EXIT_SAME_PATH_FAILED"
}

# In-tree changes through an overlay (track_in_tree "o", same-path mode). Listing what a build
# created or changed by walking the whole copy (list_new_files) costs ~6 us per file here: 1.2-1.6 s
# on a 200,000-file copy, on every build. Instead the namespace mounts an overlay at local_root,
# the copy its lower layer and <copy>.rch-ov-<nonce>/u its upper one (unprivileged overlayfs,
# Linux >= 5.11, "userxattr"), so everything the build writes lands in the upper dir, whose size
# is the build's work, not the tree's. Output dirs and configured build dirs that exist are bound
# through it (cargo's target dir is shared by concurrent builds and locked by cargo; rustc renames
# its session dirs there). After the build, still in the namespace, NS_PROGRAM deletes from the
# copy what the merged view no longer has under each dir the build wrote in (a deleted file, a
# dir removed and made again); merge_overlay then moves the upper files into the copy (renames:
# same filesystem), lists them for rch as list_new_files would, and removes the overlay's dirs.
# The walk stays where the overlay cannot be had (mapped mode, a kernel or filesystem that refuses
# it, a copy path overlayfs' option syntax cannot carry, an output dir that is the whole copy).
# Like any overlayfs, it refuses to rename a directory that existed before the build (EXDEV);
# mv(1) copies then, but a tool calling rename(2) on such a directory fails: rch therefore asks for
# it (the header's overlay field) only for big trees (exec.overlay_min_files).
prepare_overlay() {
  ov='' binds=''
  [ "$overlay" = o ] && [ -n "$track_in_tree" ] && [ "$path_mode" = same ] || return 0
  case $copy in *[,:\\]*) return 0 ;; esac
  saved_ifs=$IFS
  IFS=$newline
  set -f
  for dir in $output_dirs $fix_dirs; do
    case /$dir/ in //* | */./* | */../*) binds=. ;; esac
    if [ "$binds" != . ] && [ -d "$copy/$dir" ] && ! [ -L "$copy/$dir" ]; then binds=$binds$dir$newline; fi
  done
  IFS=$saved_ifs
  set +f
  [ "$binds" != . ] || return 0
  mkdir -p "$copy.rch-ov-$nonce/u" "$copy.rch-ov-$nonce/w" 2>/dev/null && ov=$copy.rch-ov-$nonce
}

# Is this path (relative to the copy) one rch pulls as an in-tree file? Not in an output dir (those
# are pulled whole), .git, node_modules or a staging dir: what list_new_files' find prunes.
listed_path() {
  case /$1/ in */.git/* | */node_modules/* | */.rch-stage-*) return 1 ;; esac
  saved_ifs=$IFS
  IFS=$newline
  set -f
  for dir in $output_dirs; do
    case $1/ in "$dir"/*)
      IFS=$saved_ifs
      set +f
      return 1
      ;;
    esac
  done
  IFS=$saved_ifs
  set +f
}

# Moves the upper dir's files into the copy, batched one mv per dir, and prints the ones rch
# pulls, NUL-separated. A new dir moves whole (one rename); a whiteout (the build deleted that
# path) removes the copy's entry. find lists parents before their entries. A line that is not an
# entry (a name holding a newline, split by find's output) fails the merge: rch then reports the
# list as unwritable rather than take "nothing" for an answer.
merge_upper() {
  find . -mindepth 1 -print >"$ov/all" || return 1
  moved='' batch_dir=''
  set --
  while IFS= read -r p; do
    if [ -n "$moved" ]; then case $p in "$moved"/*) continue ;; esac; fi
    case $p in ./*) ;; *) return 1 ;; esac
    rel=${p#./}
    up=$ov/u/$rel to=$copy/$rel
    if [ -L "$up" ] || [ -f "$up" ] || { [ -e "$up" ] && ! [ -d "$up" ] && ! [ -c "$up" ]; }; then
      case $rel in */*) dir=${rel%/*} ;; *) dir=. ;; esac
      if [ "$dir" != "$batch_dir" ] && [ "$#" -gt 0 ]; then
        mv -f -- "$@" "$copy/$batch_dir/" || return 1
        set --
      fi
      batch_dir=$dir
      if [ -d "$to" ] && ! [ -L "$to" ]; then rm -rf -- "$to" || return 1; fi
      set -- "$@" "$up"
      if listed_path "$rel"; then printf './%s\000' "$rel"; fi
    elif [ -c "$up" ]; then
      rm -rf -- "$to" || return 1
    elif [ -d "$up" ]; then
      if [ -d "$to" ] && ! [ -L "$to" ]; then continue; fi
      if [ -e "$to" ] || [ -L "$to" ]; then rm -rf -- "$to" || return 1; fi
      mv -- "$up" "$to" || return 1
      moved=$p
      if listed_path "$rel"; then
        (cd "$copy" && find "./$rel" \( -name .git -o -name node_modules -o -name '.rch-stage-*' \) -prune -o \
          \( -type f -o -type l \) -print0) || return 1
      fi
    else
      return 1
    fi
  done <"$ov/all"
  [ "$#" -eq 0 ] || mv -f -- "$@" "$copy/$batch_dir/"
}

# After a build through the overlay: merge it (sets new_files as list_new_files does) and remove
# its dirs. Returns 1 when the overlay was not used (the namespace fell back to a plain bind).
merge_overlay() {
  [ -n "$ov" ] || return 1
  if ! [ -e "$ov/on" ]; then
    rm -rf -- "$ov"
    ov=''
    return 1
  fi
  new_files=0 empty_list=''
  list=$copy.rch-new-$nonce
  if ! (cd "$ov/u" && merge_upper) >"$list" 2>/dev/null; then
    new_files=E
    if disk_is_full; then new_files=F; fi
    empty_list=$list
  elif [ -s "$list" ]; then new_files=1; else empty_list=$list; fi
  rm -rf -- "$ov" 2>/dev/null
  return 0
}

# One letter per output dir. find writes into the scratch file rather than $(...): one fork fewer.
report_output_dirs() {
  states=
  [ -n "$output_dirs" ] || return 0
  saved_ifs=$IFS
  IFS=$newline
  set -f
  for dir in $output_dirs; do
    if ! [ -d "$copy/$dir" ]; then
      states=${states}m
    elif find "$copy/$dir" -newer "$mark" -print -quit >"$mark.t" 2>/dev/null && [ -s "$mark.t" ]; then
      states=${states}c
    else
      states=${states}u
    fi
  done
  IFS=$saved_ifs
  set +f
}

# The files of the watched dirs (output dirs and configured build dirs), one path per line,
# relative to the copy: before the build and after it, so that a file the build deleted can be
# deleted on rch's side too (stale .rlibs cargo removes, files a build dir's rules delete). cargo's
# incremental caches are left out: rch never pulls them; so are .git and node_modules (an in-source
# build dir is the whole copy), as in the in-tree list. A path holding a newline is never listed,
# so no line can be mistaken for another path. Costs one find per dir, twice (measured in
# BENCHMARKS.md); nothing when there is no dir to watch.
list_watched() {
  (
    cd "$copy" || exit
    saved_ifs=$IFS
    IFS=$newline
    set -f
    for dir in $output_dirs; do
      [ -d "$dir" ] || continue
      find "$dir" \( -name incremental -type d \) -prune -o ! -path "*$newline*" \( -type f -o -type l \) -print
    done
    for dir in $fix_dirs; do
      [ -d "$dir" ] || continue
      find "$dir" \( -name .git -o -name node_modules -o -name '.rch-stage-*' \) -prune -o \
        ! -path "*$newline*" \( -type f -o -type l \) -print
    done
    IFS=$saved_ifs
  ) 2>/dev/null
}

watch_before() {
  watched=
  [ -n "$output_dirs$fix_dirs" ] || return 0
  watched=$copy.rch-pre-$nonce
  list_watched >"$watched"
}

# A gone note per path listed before the build and not after it (one awk: no sort, no comm).
# Deleting a file changes its dir's mtime, so output dirs all reported unchanged (a no-op cargo
# build) lost nothing: the second listing is skipped then, unless build dirs are watched too.
report_gone() {
  [ -n "$watched" ] || return 0
  if [ -z "$fix_dirs" ]; then
    case $states in
    *c*) ;;
    *)
      rm -f "$watched"
      return 0
      ;;
    esac
  fi
  list_watched >"$watched.post"
  RCH_NONCE=$nonce awk '
    NR == FNR { after[$0]; next }
    !($0 in after) { printf "%crch-gone-%s %s\n", 30, ENVIRON["RCH_NONCE"], $0 }
  ' "$watched.post" "$watched" >&2
  rm -f "$watched" "$watched.post"
}

# An exe note for each executable the build wrote in an output dir that starts with the ELF
# magic: rch compares class and machine with its own before it pulls anything (a worker of another
# architecture must not leave binaries here that cannot run). One od per such file; a build writes
# few (cargo: its bins, test binaries and build scripts).
report_executables() {
  [ -n "$output_dirs" ] || return 0
  saved_ifs=$IFS
  IFS=$newline
  set -f
  for dir in $output_dirs; do
    [ -d "$copy/$dir" ] || continue
    (cd "$copy" && find "$dir" \( -name incremental -type d \) -prune -o \
      -newer "$mark" -type f -perm -100 ! -path "*$newline*" -print) 2>/dev/null
  done >"$mark.t"
  IFS=$saved_ifs
  set +f
  while IFS= read -r exe; do
    # shellcheck disable=SC2046 # od's decimal bytes (on two lines), word-split on purpose
    set -- $(od -An -tu1 -N20 -- "$copy/$exe" 2>/dev/null)
    if [ "$1 $2 $3 $4" = "127 69 76 70" ]; then
      printf '\036rch-exe-%s %s %s %s %s %s\n' "$nonce" "$5" "$6" "${19}" "${20}" "$exe" >&2
    fi
  done <"$mark.t"
}

# Less than 1 MiB (or no inode) left where the copy lives. Only asked after a write failed.
disk_is_full() {
  # shellcheck disable=SC2046 # the fields of df's data line, word-split on purpose
  set -- $(df -Pk "$copy" 2>/dev/null | tail -n 1) $(df -Pi "$copy" 2>/dev/null | tail -n 1)
  [ "${4:-1024}" -lt 1024 ] 2>/dev/null || [ "${10:-1}" -lt 1 ] 2>/dev/null
}

# rch pulls the listed files through a staging dir (its own .rch-stage-*, never listed).
list_new_files() {
  new_files=0 empty_list=
  [ -n "$track_in_tree" ] || return 0
  list=$copy.rch-new-$nonce
  # A list that could not be written completely (no space left, no inode) must not read as
  # "the build made nothing": that would leave the old artifacts in place behind an exit 0.
  # Output dirs are pulled whole: their files are not listed (a cargo build lists only what it
  # writes beside its target dir, such as a new Cargo.lock).
  if ! (
    cd "$copy" || exit
    set --
    saved_ifs=$IFS
    IFS=$newline
    set -f
    for dir in $output_dirs; do set -- "$@" -path "./$dir" -o; done
    IFS=$saved_ifs
    find . \( "$@" -name .git -o -name node_modules -o -name '.rch-stage-*' \) -prune -o \
      -newer "$mark" \( -type f -o -type l \) -print0
  ) >"$list" 2>/dev/null; then
    new_files=E
    if disk_is_full; then new_files=F; fi
    empty_list=$list
  elif [ -s "$list" ]; then new_files=1; else empty_list=$list; fi
}

read_sync_header
check_stamp
apply_inline_update
write_stamp
enter_cwd
reroot_build_dirs

# The three lists take the rest of the arguments; argv ends up as the positional parameters.
count=$1
shift
while [ "$count" -gt 0 ]; do
  join_word "$@"
  shift "$used"
  # shellcheck disable=SC2163 # $word is NAME=value: export the name it spells, with that value
  export "$word" || exit "$EXIT_SETUP_FAILED"
  count=$((count - 1))
done
count=$1
shift
while [ "$count" -gt 0 ]; do
  export "$1=$base/$2" || exit "$EXIT_SETUP_FAILED"
  shift 2
  count=$((count - 1))
done
count=$1
shift
while [ "$count" -gt 0 ]; do
  join_word "$@"
  shift "$used"
  set -- "$@" "$word"
  count=$((count - 1))
done

# In same-path mode a tool inside the project is named at local_root: look for it in the copy.
case $path_mode$1 in
same"$local_root"/*) [ -x "$copy${1#"$local_root"}" ] || exit "$EXIT_TOOL_MISSING" ;;
*) command -v "$1" >/dev/null 2>&1 || exit "$EXIT_TOOL_MISSING" ;;
esac
find_pgid
start_watchdog
install_bun_deps
mark_start
watch_before
if [ "$path_mode" = same ]; then
  prepare_overlay
  run_build_same "$@"
else
  printf '\036rch-start-%s %s\t%s\t%s\n' "$nonce" "$pgid" "$copy" "$physical_copy" >&2
  run_build "$@"
fi
merge_overlay || list_new_files
report_output_dirs
report_gone
report_executables
rm -f "$mark" "$mark.t" "$mark.ns" "$mark.go" ${empty_list:+"$empty_list"}
printf '\036rch-exit-%s %s %s %s\n' "$nonce" "$status" "${states:--}" "$new_files" >&2
# Hold the locks until rch has the artifacts: it closes stdin then (or dies, which closes it too).
# stdout and stderr are closed first, so rch knows it has all of the build's output without
# waiting for this shell to end; and the watchdog's TERM to the group, which may end this wait,
# puts no "Terminated" on them.
exec >/dev/null 2>/dev/null
cat >/dev/null
exit "$status"
