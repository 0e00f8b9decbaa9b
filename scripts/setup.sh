#!/usr/bin/env bash
# Installs what rch's tests, demo and benchmarks need on a fresh Debian machine (run as root):
# OpenSSH server/client and rsync/zstd for the loopback worker bed, cmake/ninja/meson/make/gcc and
# autoconf/automake (about 10 s to install) for the sample projects, gcc-11 (a second real C
# compiler for toolchain matching, 18 MB, about 18 s), shellcheck for the worker-side
# sh programs (src/worker), and the npm packages (Bun itself comes from npm). Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(openssh-server openssh-client rsync zstd hyperfine cmake ninja-build meson make gcc g++ gcc-11 autoconf automake git procps iproute2 util-linux shellcheck)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# cargo comes from rustup on this machine kind (Debian's rustc is too old for the fixtures).
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  echo "setup: note: cargo is in ~/.cargo/bin; add it to PATH" >&2
fi
