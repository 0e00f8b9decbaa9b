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
#   toolchains <cksum>            a fingerprint of the toolchains (ls -lL of the rustup and rch
#                                 toolchain dirs, their bin/rustc, and the PATH's compilers): when
#                                 it moves, rchd asks toolchains.sh for the identities again
# Exit status 0 whatever it found: a worker whose df fails is still reachable.
# Cost: df, the samepath try (id twice, unshare twice, sh, mount: ~5 ms here), ls and cksum (and
# the $(...) around them, ~1 ms each on a small VM); the round trip itself is ~8 ms warm. Learned
# here so that no build pays for it.

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

# The tools' paths found with builtins only (no command -v subshell per tool: every fork is
# ~1 ms idle and far more on a loaded worker, and this runs inside the latency measurement).
tools=''
for t in rustc cc gcc g++ c++ clang clang++ bun cmake meson ninja make; do
  IFS=:
  for d in $PATH; do
    if [ -n "$d" ] && [ -x "$d/$t" ]; then tools="$tools
$d/$t"
      break
    fi
  done
  unset IFS
done
tc=${RUSTUP_HOME:-$HOME/.rustup}/toolchains
# shellcheck disable=SC2012,SC2086 # ls is only hashed, never parsed; $tools splits on newlines
sum=$(IFS='
'; ls -lL "$tc" "$root/.rch/toolchains" "$tc"/*/bin/rustc "$root"/.rch/toolchains/*/bin/rustc \
  $tools 2>/dev/null | cksum)
printf 'toolchains %s-%s\n' "${sum%% *}" "${sum#* }"
exit 0
