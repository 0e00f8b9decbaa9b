# shellcheck shell=sh
#
# The worker's end of the rsync that sends one of cargo's profile dirs (target/debug...) up from
# rch's machine after a local build changed it, so the next remote build finds its units Fresh
# instead of compiling again what the local build just compiled (src/exec/seed.ts says when).
# seedArgv (src/transfer/rsync.ts) names it as rsync's --rsync-path, so the remote command is
#   sh -c '<this file>' rch COPY DIR WAIT --server ...
# where COPY is the project copy, DIR the profile dir inside it (both absolute, or relative to
# $HOME, which is where a login shell starts) and WAIT the seconds to wait for cargo's lock; the
# rest is what rsync appends.
#
# cargo locks a profile dir with flock(2) on DIR/.cargo-lock for as long as it builds there. The
# rsync server runs under that same lock, so a build on this copy (another agent's, sharing it)
# never reads half-sent state, such as a unit's new fingerprint beside its old rlib; rch sends
# .cargo-lock itself never (replacing it would give it a new inode, and cargo's lock with it).
# Nothing is made for a copy that is not there (GC removed it): rch syncs it in full next time.
# Exit status: rsync's; 3 no copy; 4 no flock(1); 75 cargo held the lock for WAIT s. Each of
# those says why on stderr in a line starting "rch: " (rsync's own lines follow it there).

copy=$1 dir=$2 wait=$3
shift 3
[ -d "$copy" ] || {
  printf 'rch: no project copy at %s\n' "$copy" >&2
  exit 3
}
command -v flock >/dev/null 2>&1 || {
  printf 'rch: flock(1) is missing on this worker\n' >&2
  exit 4
}
[ -d "$dir" ] || mkdir -p "$dir" || exit 3
flock -w "$wait" -E 75 "$dir/.cargo-lock" rsync "$@"
status=$?
if [ "$status" -eq 75 ]; then
  printf 'rch: a cargo build on the worker held its lock for %s s\n' "$wait" >&2
fi
exit "$status"
