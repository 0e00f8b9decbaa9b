# shellcheck shell=sh
#
# `rch workers probe`: what a worker has, gathered in ONE remote command,
#   sh -c '<this file>' rch TOOL...
# (src/ssh/probe.ts). Prints tab-separated lines, read back by probeWorker:
#   os\t<uname -sm>
#   cpus\t<online CPUs>            empty when neither nproc nor getconf knows
#   locks\tflock|-                 whether flock(1) is on PATH: without it the worker takes no
#                                  slot or copy locks, so workstations sharing it are not coordinated
#   samepath\tyes|<why not>       whether builds can run at the project's own path (run.sh's user
#                                  + mount namespace steps, tried on $HOME; heartbeat.sh does the same)
#   <tool>\t<first line of `<tool> --version`>, or <tool>\t- when the tool is not on PATH
# It changes nothing on the worker.

printf 'os\t%s\n' "$(uname -sm)"
printf 'cpus\t%s\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)"
locks=-
if command -v flock >/dev/null 2>&1; then locks=flock; fi
printf 'locks\t%s\n' "$locks"
# shellcheck disable=SC2016 # the nested sh expands them
same=$(unshare -rm sh -c 'mount --rbind "$1" "$1" && exec unshare --user --map-user="$2" --map-group="$3" true' \
  rch "${HOME:-/tmp}" "$(id -u)" "$(id -g)" 2>&1 >/dev/null) && same=yes
printf 'samepath\t%s\n' "$(printf '%s\n' "${same:-no}" | head -n 1)"
for tool in "$@"; do
  if command -v "$tool" >/dev/null 2>&1; then
    printf '%s\t%s\n' "$tool" "$("$tool" --version 2>/dev/null | head -n 1)"
  else
    printf '%s\t-\n' "$tool"
  fi
done
