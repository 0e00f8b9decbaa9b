# shellcheck shell=sh
#
# rch's garbage collector for one worker's remote_root: removes the least recently used project
# copies (never one in use) until the disk has the free space and the budget rch wants. rch sends
# this whole file as the script of ONE ssh command (src/ssh/gc.ts),
#   sh -c '<this file>' rch MODE ROOT MIN_FREE_KB MAX_DISK_KB HEADROOM_KB KEEP_RECENT_S \
#     CRITICAL_FREE_KB TRIM_AFTER_S
# off every build's path (the daemon in the background, or `rch workers gc`).
#
# Arguments (all numbers whole; kB = 1024 bytes, as df -Pk and du -sk count):
#   MODE              plan    say what a run would do and why; change nothing (the dry run)
#                     census  as plan, and write .rch/census (sizes only, nothing removed)
#                     run     do it, then write .rch/census
#   ROOT              the remote_root: absolute, or relative to $HOME
#   MIN_FREE_KB       free space to keep (the worker's min_free_gb)
#   MAX_DISK_KB       budget for everything rch keeps under ROOT; 0 = none (max_disk_gb)
#   HEADROOM_KB       collect this much beyond each goal, so that not every build starts a GC
#                     (gc_headroom_gb); at most a tenth of the disk (for the free-space goal) or
#                     of the budget (for the budget goal), so a small disk is not emptied
#   KEEP_RECENT_S     never remove a copy used this recently (keep_recent_h)...
#   CRITICAL_FREE_KB  ...unless free space is below this (critical_free_gb; at most half of
#                     MIN_FREE_KB: below the floor is where GC starts, critical is an emergency)
#   TRIM_AFTER_S      copies idle this long lose their cargo incremental dirs first
#                     (trim_incremental_after_d)
#
# What it does (state layout: src/worker/README.md, "State on a worker"):
#   1. run: takes .rch/gc.lock (flock -n: one GC per ROOT, from any workstation) and empties
#      .rch/trash, which holds what an interrupted GC had renamed there.
#   2. lists the copies (dirs named <name>-<12 hex>) with their last use: the mtime of
#      .rch/stamps/<copy>, or for a copy without a stamp the newest mtime of the copy dir and its
#      target/; and their size (du -sk). rch's usage is their sum plus the trash.
#   3. while the goals are not met (free >= MIN_FREE_KB + headroom, and usage <= MAX_DISK_KB -
#      headroom when there is a budget), oldest first:
#        stage 1  copies idle longer than TRIM_AFTER_S lose target/*/incremental and
#                 target/*/*/incremental (cargo rebuilds them; the dependencies stay)
#        stage 2  whole copies, except those used within KEEP_RECENT_S (unless free space is
#                 below the critical level)
#      Each copy is touched only under its lock, .rch/locks/<copy>, taken with flock -n -x
#      through a read-only descriptor: a build or a sync holds it (shared or exclusive), so a
#      held lock means "in use, skip". A cargo run by hand (target/*/.cargo-lock held) counts as
#      in use too. Removal: the copy's sync stamp and bun stamp go first (a copy without them is
#      never taken for synced), then the copy is renamed into .rch/trash (atomic), its stamp and
#      side files are removed, the lock is let go, and the trash entry is deleted. Trimmed
#      incremental dirs go through the trash the same way. So a GC killed at any point leaves
#      each copy either whole in place or in the trash, never half-deleted where a build looks.
#      Lock files are never removed: a build may be waiting on one (removing it would let a
#      second build lock a new file of the same name).
#   4. census and run: writes .rch/census (lines "<copy> <kB> <epoch s>") through a temp file.
# Without flock(1) on the worker nothing is removed or trimmed (whether a copy is in use cannot
# be known); the trash is still emptied, and the output says "flock no".
#
# stdout: one fact per line, fields separated by a TAB, the first field naming the line (rch's
# parser, parseGcOutput in src/ssh/gcOutput.ts, skips lines it does not know):
#   gc      1  <mode>                          format version, first line
#   flock   yes|no
#   now     <epoch s>                          the worker's clock (last-use times are on it)
#   df      <avail kB>  <total kB>             before anything was done
#   goal    <free kB>  <budget kB>  <critical kB>
#                                              the effective goals (budget 0: none)
#   trash   <kB>                               found in the trash (run: emptied)
#   copy    <name>  <last use epoch s>  <size kB>  <action>  <freed kB>  <why>  <stamp>
#           one per copy, least recently used first; action and why:
#             keep    enough    the goals are met without touching it
#             keep    in-use    its lock (or a cargo lock in it) is held
#             keep    recent    used within KEEP_RECENT_S
#             keep    no-flock  this worker has no flock(1)
#             keep    failed    removing it failed (e.g. permissions)
#             trim    idle      its incremental dirs (freed kB) were (plan: would be) removed
#             remove  free      removed for free space
#             remove  budget    removed for the budget
#             remove  critical  removed although recent: free space was below critical
#           <stamp> is the first line of the copy's stamp as the build wrote it
#           ("client=<id> name=<client name> project=<local abs root>"), or empty
#   busy                                       run: another GC holds gc.lock; nothing was done
#   error   <text>                             run: nothing could be done (e.g. .rch not writable)
#   end     <avail before>  <avail after>  <total>  <usage before>  <usage after>  <freed>  <met>
#           kB; plan and census: "after" is predicted; met: yes|no (were the goals reached)
# stdin: held open by rch, never written (the watchdog's lifeline, below).
# Exit status 0, also when nothing could be done; 2 for bad arguments.

mode=$1 root=$2 min_free=$3 max_disk=$4 headroom=$5 keep_recent=$6 critical=$7 trim_after=$8
tab=$(printf '\t')
newline='
'

case $mode in plan | census | run) ;; *) exit 2 ;; esac
for n in "$min_free" "$max_disk" "$headroom" "$keep_recent" "$critical" "$trim_after"; do
  case $n in '' | *[!0-9]*) exit 2 ;; esac
done
case $root in /*) ;; '') root=$HOME ;; *) root=$HOME/$root ;; esac

# rch holds this session's stdin open and never writes to it: EOF there means rch closed it or
# went away (a deadline, Ctrl-C, rchd stopping, even SIGKILL), and a watchdog then kills this
# GC's whole process group. Stopping anywhere is safe (see step 3). A background job's stdin is
# /dev/null without job control, so it reaches the watchdog through fd 3. Run with a stdin that
# is no pipe or socket (by hand, the tests in test/worker), there is no watchdog.
if [ -p /dev/stdin ] || [ -S /dev/stdin ]; then
  pgid=
  { read -r _ _ _ _ pgid _ <"/proc/$$/stat"; } 2>/dev/null
  [ -n "$pgid" ] || pgid=$(ps -o pgid= -p $$ | tr -d ' ')
  if [ "$pgid" -gt 1 ] 2>/dev/null; then
    exec 3<&0
    (
      trap '' TERM INT HUP
      cat >/dev/null
      kill -s KILL -- "-$pgid"
    ) <&3 >/dev/null 2>&1 3<&- &
    exec 3<&- </dev/null
  fi
fi

out() {
  line=$1
  shift
  for field in "$@"; do line=$line$tab$field; done
  printf '%s\n' "$line"
}

# Free and total kB of the filesystem holding $1: the three numbers before df -P's capacity field
# (the one ending in %), so a device name with spaces does not shift them.
df_kb() {
  df_total='' df_avail=''
  set -f
  # shellcheck disable=SC2046 # word splitting of df's output is the point
  set -- $(df -Pk "$1" 2>/dev/null)
  set +f
  p3='' p2='' p1=''
  for word in "$@"; do
    case $word in *%)
      df_total=$p3 df_avail=$p1
      break
      ;;
    esac
    p3=$p2 p2=$p1 p1=$word
  done
  case $df_total$df_avail in '' | *[!0-9]*) df_total=0 df_avail=0 ;; esac
}

# Modification times of the given paths (epoch s), one per line: GNU/busybox stat, else BSD's.
mtimes() {
  stat -c %Y "$@" 2>/dev/null || stat -f %m "$@" 2>/dev/null
}

size_kb() {
  kb=$(du -sk "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
}

have_flock=no
command -v flock >/dev/null 2>&1 && have_flock=yes

# Takes the copy's lock (fd 9) if nobody holds it; plan and census let go of it at once. Returns
# 1 when it is held: a build, or a sync before one, is using the copy.
lock_copy() {
  [ "$have_flock" = yes ] || return 1
  lock=.rch/locks/$1
  # run: a lock file it cannot make means it cannot know; the copy counts as in use. plan and
  # census create nothing: no lock file means no build ever locked the copy. (Regular files
  # only, here and below: opening a FIFO would block.)
  if [ "$mode" = run ]; then
    # `command`: a failed redirection on a special builtin (`:`) ends the whole script in dash.
    { command : >>"$lock"; } 2>/dev/null || return 1
  fi
  if [ -f "$lock" ]; then
    command exec 9<"$lock" || return 1
    if ! flock -n -x 9; then
      exec 9<&-
      return 1
    fi
  fi
  # A cargo started by hand in the copy holds its build dir's lock.
  for cargo_lock in "$1"/target/*/.cargo-lock "$1"/target/*/*/.cargo-lock; do
    [ -f "$cargo_lock" ] || continue
    command exec 5<"$cargo_lock" || continue
    if ! flock -n -x 5; then
      exec 5<&- 9<&-
      return 1
    fi
    exec 5<&-
  done
  [ "$mode" = run ] || exec 9<&-
  return 0
}

unlock_copy() {
  exec 9<&-
}

# rm -rf, and once more after making every dir writable (a read-only dir inside a copy, such as a
# Go module cache, would otherwise stop it).
remove_tree() {
  rm -rf -- "$1" 2>/dev/null && return 0
  chmod -R u+w -- "$1" 2>/dev/null
  rm -rf -- "$1" 2>/dev/null
}

enough() {
  [ "$avail" -ge "$want_free" ] && { [ "$max_disk" -eq 0 ] || [ "$usage" -le "$want_usage" ]; }
}

# run: the free space df now reports; plan: the prediction.
freed_space() {
  usage=$((usage - $1))
  if [ "$mode" = run ]; then
    df_kb .
    avail=$df_avail
  else
    avail=$((avail + $1))
  fi
}

# Per-copy state lives in variables named by the copy's position (n_1, use_1...): the position is
# a number this script made, so eval only ever sees `name_<digits>=$value`, never data.
got=
get() { eval "got=\$$1_$2"; }
set_() { eval "$1_$2=\$3"; }

if ! [ -d "$root" ]; then
  [ "$mode" = plan ] || mkdir -p "$root" 2>/dev/null
fi
out gc 1 "$mode"
out flock "$have_flock"
now=$(date +%s)
out now "$now"
if ! cd "$root" 2>/dev/null; then
  out df 0 0
  out goal "$min_free" "$max_disk" 0
  out trash 0
  out end 0 0 0 0 0 0 no
  exit 0
fi

if [ "$mode" != plan ]; then
  mkdir -p .rch/trash .rch/locks .rch/stamps 2>/dev/null
fi
if [ "$mode" = run ] && [ "$have_flock" = yes ]; then
  if ! { command : >>.rch/gc.lock; } 2>/dev/null || ! command exec 6<.rch/gc.lock; then
    out error "cannot write $root/.rch"
    exit 0
  fi
  if ! flock -n -x 6; then
    out busy
    exit 0
  fi
fi

df_kb .
avail=$df_avail total=$df_total avail0=$df_avail
out df "$avail" "$total"
hr_free=$((total / 10))
[ "$headroom" -lt "$hr_free" ] && hr_free=$headroom
hr_budget=$((max_disk / 10))
[ "$headroom" -lt "$hr_budget" ] && hr_budget=$headroom
want_free=$((min_free + hr_free))
want_usage=$((max_disk - hr_budget))
half_floor=$((min_free / 2))
[ "$critical" -gt "$half_floor" ] && critical=$half_floor
out goal "$want_free" "$max_disk" "$critical"

trash_kb=0
for entry in .rch/trash/* .rch/trash/.[!.]*; do
  [ -e "$entry" ] || continue
  size_kb "$entry"
  trash_kb=$((trash_kb + kb))
done
out trash "$trash_kb"

# The copies, least recently used first.
list=
for dir in *-???????????? .[!.]*-????????????; do
  [ -d "$dir" ] || continue
  case ${dir##*-} in *[!0-9a-f]*) continue ;; esac
  if [ -f ".rch/stamps/$dir" ]; then
    use=$(mtimes ".rch/stamps/$dir")
  elif [ -d "$dir/target" ]; then
    use=$(mtimes "$dir" "$dir/target" | sort -n | tail -n 1)
  else
    use=$(mtimes "$dir")
  fi
  case $use in '' | *[!0-9]*) use=0 ;; esac
  list=$list$use' '$dir$newline
done
sorted=$(printf '%s' "$list" | sort -n)

count=0
saved_ifs=$IFS
IFS=$newline
set -f
for entry in $sorted; do
  count=$((count + 1))
  set_ n "$count" "${entry#* }"
  set_ use "$count" "${entry%% *}"
done
IFS=$saved_ifs
set +f

usage=$trash_kb
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  get n "$i"
  c=$got
  # With the files rch keeps beside it (sync and bun stamps, logs), which go with it.
  size_kb "$c" "$c".rch-*
  usage=$((usage + kb))
  set_ size "$i" "$kb"
  set_ freed "$i" 0
  set_ act "$i" keep
  stamp=
  [ -f ".rch/stamps/$c" ] && { IFS= read -r stamp <".rch/stamps/$c"; } 2>/dev/null
  set_ stamp "$i" "$stamp"
  why=enough
  if [ "$have_flock" = no ]; then
    why=no-flock
  elif ! lock_copy "$c"; then
    why=in-use
  else
    [ "$mode" = run ] && unlock_copy
  fi
  set_ why "$i" "$why"
done
usage0=$usage

# What an interrupted GC left in the trash goes first: it is in nobody's way. Whatever its size:
# a GC killed inside rm -rf can leave a tree of empty dirs, which du counts as 0 kB on tmpfs.
freed_total=$trash_kb
if [ "$mode" = run ]; then
  for entry in .rch/trash/* .rch/trash/.[!.]*; do
    if [ -e "$entry" ] || [ -L "$entry" ]; then remove_tree "$entry"; fi
  done
fi
[ "$trash_kb" -eq 0 ] || freed_space "$trash_kb"

recent() {
  get use "$1"
  [ "$((now - got))" -lt "$keep_recent" ]
}

# Stage 1: incremental dirs of idle copies.
i=0
while [ "$i" -lt "$count" ] && [ "$have_flock" = yes ] && ! enough; do
  i=$((i + 1))
  get use "$i"
  [ "$((now - got))" -ge "$trim_after" ] || continue
  recent "$i" && continue
  get n "$i"
  c=$got
  incs=
  for inc in "$c"/target/*/incremental "$c"/target/*/*/incremental; do
    [ -d "$inc" ] && incs=$incs$inc$newline
  done
  [ -n "$incs" ] || continue
  IFS=$newline
  set -f
  # shellcheck disable=SC2086 # one path per line; globbing is off
  size_kb $incs
  IFS=$saved_ifs
  set +f
  [ "$kb" -gt 0 ] || continue
  lock_copy "$c" || continue
  inc_kb=$kb
  if [ "$mode" = run ]; then
    k=0
    IFS=$newline
    set -f
    for inc in $incs; do
      k=$((k + 1))
      mv "$inc" ".rch/trash/$c.inc$k.$$" 2>/dev/null
    done
    IFS=$saved_ifs
    set +f
    unlock_copy
    remove_tree ".rch/trash/$c.inc1.$$"
    j=2
    while [ "$j" -le "$k" ]; do
      remove_tree ".rch/trash/$c.inc$j.$$"
      j=$((j + 1))
    done
  fi
  set_ act "$i" trim
  set_ why "$i" idle
  set_ freed "$i" "$inc_kb"
  freed_total=$((freed_total + inc_kb))
  freed_space "$inc_kb"
done

# Stage 2: whole copies.
i=0
while [ "$i" -lt "$count" ] && [ "$have_flock" = yes ] && ! enough; do
  i=$((i + 1))
  why=free
  [ "$avail" -ge "$want_free" ] && why=budget
  if recent "$i"; then
    if [ "$avail" -ge "$critical" ]; then
      get why "$i"
      [ "$got" = in-use ] || set_ why "$i" recent
      continue
    fi
    why=critical
  fi
  get n "$i"
  c=$got
  if ! lock_copy "$c"; then
    set_ why "$i" in-use
    continue
  fi
  get size "$i"
  size=$got
  get freed "$i"
  left=$((size - got))
  if [ "$mode" = run ]; then
    rm -f -- "$c.rch-sync" "$c.rch-bun"
    if ! mv "$c" ".rch/trash/$c.$$" 2>/dev/null; then
      unlock_copy
      set_ why "$i" failed
      continue
    fi
    rm -f -- ".rch/stamps/$c" "$c.rch-bun.log" "$c.rch-rerooted" "$c".rch-new-* "$c".rch-mark-*
    # A killed build's overlay dirs (run.sh's prepare_overlay): their work dir is mode 000.
    for ov in "$c".rch-ov-*; do
      if [ -d "$ov" ]; then chmod -R u+rwx -- "$ov" 2>/dev/null; rm -rf -- "$ov"; fi
    done
    unlock_copy
    remove_tree ".rch/trash/$c.$$"
  fi
  set_ act "$i" remove
  set_ why "$i" "$why"
  set_ freed "$i" "$size"
  freed_total=$((freed_total + left))
  freed_space "$left"
done

# A stamp whose copy is gone: removed under the copy's lock (a first build writes its stamp
# before its sync creates the copy, holding that lock).
if [ "$mode" = run ] && [ "$have_flock" = yes ] && [ -d .rch/stamps ]; then
  for orphan in .rch/stamps/*; do
    [ -f "$orphan" ] || continue
    c=${orphan##*/}
    [ -d "$c" ] && continue
    lock_copy "$c" || continue
    rm -f -- "$orphan"
    unlock_copy
  done
fi

census=
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  get n "$i"
  c=$got
  get use "$i"
  use=$got
  get size "$i"
  size=$got
  get act "$i"
  act=$got
  get why "$i"
  why=$got
  get freed "$i"
  freed=$got
  get stamp "$i"
  out copy "$c" "$use" "$size" "$act" "$freed" "$why" "$got"
  if [ "$mode" != run ] || [ "$act" != remove ]; then
    [ "$mode" = run ] || freed=0
    census=$census$c' '$((size - freed))' '$now$newline
  fi
done

if [ "$mode" != plan ]; then
  printf '%s' "$census" >".rch/census.$$" && mv ".rch/census.$$" .rch/census
  rm -f ".rch/census.$$"
fi
if [ "$mode" = run ]; then
  df_kb .
  avail=$df_avail
fi
met=no
enough && met=yes
out end "$avail0" "$avail" "$total" "$usage0" "$usage" "$freed_total" "$met"
exit 0
