# shellcheck shell=sh
#
# The worker's toolchain identities, for rchd's selection and `rch workers probe`
# (src/daemon/toolchains.ts, src/ssh/probe.ts):
#   sh -c '<this file>' rch ROOT PART
# ROOT is the worker's remote_root (absolute, or relative to $HOME); PART is `rust` (platform,
# libc, PATH and the Rust toolchains: what most builds wait for) or `tools` (the C compilers and
# build tools: meson alone starts Python, 0.2 s idle and seconds on a loaded machine). Run at the
# first heartbeat and again whenever the heartbeat's `toolchains` fingerprint moves
# (heartbeat.sh), never on a build's path. stdout, one fact per line, fields separated by one TAB:
#   platform<TAB><uname -sm>            what executables built here run on
#   libc<TAB>glibc 2.36 | musl | -
#   path<TAB><$PATH of this session>     a build pinned to an rch-synced toolchain gets
#                                        <dir>/bin in front of it
#   rust<TAB><kind><TAB><name><TAB><dir><TAB><release><TAB><commit-hash><TAB><host><TAB><rustc -V>
#       kind: rustup ($RUSTUP_HOME/toolchains/*, default ~/.rustup), rch (ROOT/.rch/toolchains/*,
#       put there by `rch toolchain sync`), or path (the rustc on PATH, when it is not a rustup
#       proxy). Each from that toolchain's own bin/rustc -vV: no rustup proxy, no download.
#   tool<TAB><name><TAB><path><TAB><identity>
#       cc, gcc, g++, c++, clang, clang++: `--version` line 1 and `-dumpmachine`, joined by "|";
#       cmake, ninja, meson, make: `--version` line 1; bun: `bun --revision`. Absent tools print
#       nothing.
# Cost: one rustc -vV per toolchain (~50 ms each), ~10 ms per compiler. Exit status 0 always.

root=$1
part=$2
case $root in /*) ;; '') root=$HOME ;; *) root=$HOME/$root ;; esac
tab=$(printf '\t')

if [ "$part" = tools ]; then
  for t in cc gcc g++ c++ clang clang++; do
    p=$(command -v "$t" 2>/dev/null) || continue
    v=$("$t" --version 2>/dev/null | head -n 1)
    m=$("$t" -dumpmachine 2>/dev/null)
    printf 'tool\t%s\t%s\t%s|%s\n' "$t" "$p" "$v" "$m"
  done
  for t in cmake ninja meson make; do
    p=$(command -v "$t" 2>/dev/null) || continue
    printf 'tool\t%s\t%s\t%s\n' "$t" "$p" "$("$t" --version 2>/dev/null | head -n 1)"
  done
  if p=$(command -v bun 2>/dev/null); then
    printf 'tool\tbun\t%s\t%s\n' "$p" "$(bun --revision 2>/dev/null)"
  fi
  exit 0
fi

printf 'platform\t%s\n' "$(uname -sm)"
libc=-
if v=$(getconf GNU_LIBC_VERSION 2>/dev/null) && [ -n "$v" ]; then
  libc=$v
elif ls /lib/ld-musl-* >/dev/null 2>&1; then
  libc=musl
fi
printf 'libc\t%s\n' "$libc"
printf 'path\t%s\n' "$PATH"

# One toolchain dir: its rustc -vV fields on one line (skipped when rustc does not run).
rust_line() {
  out=$("$3/bin/rustc" -vV 2>/dev/null) || return 0
  rel='' hash='' host='' first=''
  while IFS= read -r line; do
    case $line in
      'release: '*) rel=${line#release: } ;;
      'commit-hash: '*) hash=${line#commit-hash: } ;;
      'host: '*) host=${line#host: } ;;
      'rustc '*) first=${line#rustc } ;;
    esac
  done <<EOF
$out
EOF
  [ -n "$rel" ] && [ -n "$host" ] || return 0
  printf 'rust\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rel" "${hash:-unknown}" "$host" "$first"
}

rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
for d in "$rustup_home"/toolchains/* "$root"/.rch/toolchains/*; do
  [ -x "$d/bin/rustc" ] || continue
  case $d in "$root"/.rch/*) kind=rch ;; *) kind=rustup ;; esac
  case ${d##*/} in *"$tab"* | '') continue ;; esac
  rust_line "$kind" "${d##*/}" "$d"
done
# The PATH rustc, when it is a real toolchain's (its bin/ sits beside lib/rustlib) rather than a
# rustup proxy, whose toolchains are listed above: what a build runs when nothing pins it.
if p=$(command -v rustc 2>/dev/null); then
  real=$(cd "$(dirname "$p")" 2>/dev/null && pwd -P) && [ -d "$real/../lib/rustlib" ] &&
    rust_line path rustc "${real%/bin}"
fi

exit 0
