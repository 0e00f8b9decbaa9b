# shellcheck shell=sh
#
# `rch workers probe`: what a worker has, gathered in ONE remote command,
#   sh -c '<this file>' rch TOOL...
# (src/ssh/probe.ts). Prints tab-separated lines, read back by probeWorker:
#   os\t<uname -sm>
#   cpus\t<online CPUs>            empty when neither nproc nor getconf knows
#   locks\tflock|-                 whether flock(1) is on PATH: without it the worker takes no
#                                  slot or copy locks, so workstations sharing it are not coordinated
#   <tool>\t<first line of `<tool> --version`>, or <tool>\t- when the tool is not on PATH
# It changes nothing on the worker.

printf 'os\t%s\n' "$(uname -sm)"
printf 'cpus\t%s\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)"
locks=-
if command -v flock >/dev/null 2>&1; then locks=flock; fi
printf 'locks\t%s\n' "$locks"
for tool in "$@"; do
  if command -v "$tool" >/dev/null 2>&1; then
    printf '%s\t%s\n' "$tool" "$("$tool" --version 2>/dev/null | head -n 1)"
  else
    printf '%s\t-\n' "$tool"
  fi
done
