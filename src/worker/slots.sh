# shellcheck shell=sh
#
# rch's slot count on a worker: how many of its slot locks are held, by whom, and which other
# workstations are waiting for one, in ONE remote command over the worker's ssh master,
#   sh -c '<this file>' rch ROOT N WINDOW [ID NOTE]
# (src/daemon/slotwatch.ts; src/ssh/remote.ts quotes every word). The daemon runs it at every
# heartbeat interval, and every ~1 s while builds wait for a worker other workstations fill.
#
# Arguments:
#   1 ROOT    the worker's remote_root as configured: absolute, "~", "~/dir" or relative to $HOME.
#             The shared state is <ROOT>/.rch (see "State on a worker" in src/worker/README.md)
#   2 N       the worker's slot count (this workstation's total_slots): slots 0..N-1 are counted
#   3 WINDOW  seconds: want notes written longer ago than this are not reported
#   4 ID      optional: this workstation's client id (16 hex digits). With it, this workstation
#             has builds waiting for this worker, and says so: it (re)writes its want note
#   5 NOTE    with ID: the note to write, "client=<id> name=<client name>"
#
# stdout, one fact per line:
#   flock no                 flock(1) is missing: no slot locks here (nothing else is printed;
#                            rch then counts only its own builds on this worker, as before)
#   flock yes
#   held <who note>          one line per held slot: the holder's .who note ("unknown" if none)
#   slots <held> <N>         how many of slots 0..N-1 are held
#   want <note> at=<epoch>   one line per want note at most WINDOW seconds old (any client's,
#                            this one's included; the daemon tells them apart by client id)
# Exit 0 whenever it could look; it changes nothing on the worker except the want note.
#
# Want notes, .rch/slots/want.<id>: "client=<id> name=<name> at=<epoch s of the worker's
# clock>". A workstation whose builds wait for a slot rewrites its note at every poll, so a
# workstation that holds every slot learns from its own polls that others wait, and then takes
# turns with them instead of handing each freed slot straight to its next build. The time is the
# worker's own (one `date`), so workstations' clocks never need to agree.

root=$1 slots=$2 window=$3 me=$4 my_note=$5
case $root in
  \~) root=$HOME ;;
  \~/*) root=$HOME/${root#\~/} ;;
  /*) ;;
  *) root=$HOME/$root ;;
esac
dir=${root%/}/.rch/slots

if ! command -v flock >/dev/null 2>&1; then
  echo "flock no"
  exit 0
fi
echo "flock yes"
now=$(date +%s)

# Only a plain id names a file: nothing from the arguments may reach outside the slots dir.
case $me in
  '' | *[!0-9a-f]*) ;;
  *)
    if [ -d "$dir" ] || mkdir -p "$dir" 2>/dev/null; then
      printf '%s at=%s\n' "$my_note" "$now" >"$dir/want.$me" 2>/dev/null
    fi
    ;;
esac

# A slot is held when a shared lock cannot be had at once (~1 ms per slot: one flock each). A
# note is only read for a slot that is locked right now: a stale one is never reported.
held=0
slot=0
while [ "$slot" -lt "$slots" ]; do
  file=$dir/$slot
  if [ -e "$file" ] && ! flock -n -s "$file" true 2>/dev/null; then
    held=$((held + 1))
    note=
    { IFS= read -r note <"$file.who"; } 2>/dev/null
    printf 'held %s\n' "${note:-unknown}"
  fi
  slot=$((slot + 1))
done
printf 'slots %s %s\n' "$held" "$slots"

for file in "$dir"/want.*; do
  [ -e "$file" ] || break # no match: the glob stayed as written
  note=
  { IFS= read -r note <"$file"; } 2>/dev/null
  at=${note##* at=}
  case $at in '' | *[!0-9]*) continue ;; esac
  if [ $((now - at)) -le "$window" ]; then printf 'want %s\n' "$note"; fi
done
exit 0
