# shellcheck shell=sh
#
# rchd's heartbeat: one short remote command per worker every heartbeat_interval_s, over the
# worker's ssh master (src/daemon/health.ts),
#   sh -c '<this file>' rch ROOT
# where ROOT is the worker's remote_root (absolute, or relative to $HOME; created if missing, as
# the first build would). That it ran at all is the health check; what it prints are the facts the
# daemon keeps about the worker until the next heartbeat.
#
# stdout: one fact per line, the first word naming it, words separated by one space. Readers
# (parseHeartbeat in src/daemon/heartbeat.ts) take the lines they know and skip any other, so
# new facts can be added without breaking an older rchd:
#   disk <avail kB> <total kB>    free and total space of the filesystem holding ROOT (df -Pk);
#                                 absent when df could not tell
#   flock yes|no                  whether flock(1) is on PATH (copy and slot locks, GC)
#   samepath yes|no               whether builds can run at the project's own path: run.sh's
#                                 namespace steps (unshare -rm, a bind mount, the nested unshare
#                                 back to this user's ids) tried once, on ROOT itself
# Exit status 0 whatever it found: a worker whose df fails is still reachable.
# Cost: df, and the samepath try (id twice, unshare twice, sh, mount: ~5 ms here), the round trip
# itself is ~8 ms warm. Learned here so that no build pays for it.

root=$1
case $root in /*) ;; '') root=$HOME ;; *) root=$HOME/$root ;; esac
[ -d "$root" ] || mkdir -p "$root" 2>/dev/null

# The three numbers before df -P's capacity field (the one ending in %), so a device name with
# spaces does not shift them.
set -f
# shellcheck disable=SC2046 # word splitting of df's output is the point
set -- $(df -Pk "$root" 2>/dev/null)
set +f
p3='' p2='' p1=''
for word in "$@"; do
  case $word in *%)
    case $p3$p1 in '' | *[!0-9]*) ;; *) printf 'disk %s %s\n' "$p1" "$p3" ;; esac
    break
    ;;
  esac
  p3=$p2 p2=$p1 p1=$word
done

if command -v flock >/dev/null 2>&1; then
  echo 'flock yes'
else
  echo 'flock no'
fi

# shellcheck disable=SC2016 # the nested sh expands them
if unshare -rm sh -c 'mount --rbind "$1" "$1" && exec unshare --user --map-user="$2" --map-group="$3" true' \
  rch "$root" "$(id -u)" "$(id -g)" >/dev/null 2>&1; then
  echo 'samepath yes'
else
  echo 'samepath no'
fi
exit 0
