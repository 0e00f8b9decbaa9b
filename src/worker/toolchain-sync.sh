# shellcheck shell=sh
#
# `rch toolchain sync`: the worker's end of copying this machine's Rust toolchain into rch's own
# toolchain dir on a worker (src/transfer/toolchain.ts), one ssh command per step,
#   sh -c '<this file>' rch ROOT NAME STEP
# ROOT is the worker's remote_root (absolute, or relative to $HOME, "" for $HOME itself); the
# toolchains live in ROOT/.rch/toolchains/NAME, NAME being rust-<release>-<commit9>-<host> (the
# identity that builds are matched by, so two different compilers never share a name). A copy in
# progress is ROOT/.rch/toolchains/.NAME.partial: dot-named, so nothing that lists toolchains
# takes it for one; rsync resumes into it after an interrupted attempt.
#
# STEP (one per ssh command; stdout: tab-separated facts, one per line):
#   facts   what decides whether this machine's toolchain can run there, and where rsync goes:
#             os\t<uname -sm>
#             libc\tglibc <version>|other     getconf GNU_LIBC_VERSION answers only on glibc
#             have\tyes|no                    NAME is in place (its bin/rustc is executable)
#             dir\t<absolute toolchains dir>  created when missing
#   verify  runs the copy's rustc -vV and cargo -V (the placed one when it is in place, else the
#           partial one) with a cleared RUSTUP_TOOLCHAIN, and prints their output: rch compares
#           it with this machine's, so a copy that does not run, or is another compiler, is caught
#   place   renames the partial copy to NAME (atomic: a build sees the whole toolchain or none).
#           Only when NAME is not in place yet; an existing one is updated in place by rsync
# Exit status: 0, or 1 with one line on stderr saying why.

root=$1 name=$2 step=$3
case $root in /*) ;; '') root=$HOME ;; *) root=$HOME/$root ;; esac
dir=$root/.rch/toolchains
case $name in
  rust-*) ;;
  *)
    echo "not a toolchain name: $name" >&2
    exit 1
    ;;
esac
case $name in */* | .*)
  echo "not a toolchain name: $name" >&2
  exit 1
  ;;
esac

case $step in
  facts)
    mkdir -p "$dir" || exit 1
    printf 'os\t%s\n' "$(uname -sm)"
    libc=$(getconf GNU_LIBC_VERSION 2>/dev/null) || libc=other
    printf 'libc\t%s\n' "${libc:-other}"
    have=no
    if [ -x "$dir/$name/bin/rustc" ]; then have=yes; fi
    printf 'have\t%s\n' "$have"
    printf 'dir\t%s\n' "$(cd "$dir" && pwd -P)"
    ;;
  verify)
    copy=$dir/$name
    [ -x "$copy/bin/rustc" ] || copy=$dir/.$name.partial
    # A worker's rustup must not pick another toolchain for these binaries: they are the real
    # ones, not rustup's proxies, and run with their own sysroot.
    unset RUSTUP_TOOLCHAIN
    "$copy/bin/rustc" -vV || exit 1
    "$copy/bin/cargo" -V || exit 1
    ;;
  place)
    if [ -e "$dir/$name" ]; then
      echo "$name is already in place" >&2
      exit 1
    fi
    mv "$dir/.$name.partial" "$dir/$name" || exit 1
    ;;
  *)
    echo "unknown step: $step" >&2
    exit 1
    ;;
esac
