#!/usr/bin/env bash
# Builds dist/rch: one self-contained executable (bun build --compile), stamped with its build
# identity (version + git commit + build time) so a client can tell an older daemon from its own.
# Overrides (tests that need "an older rch"): RCH_BUILD_OUT (output file), RCH_BUILT_AT (ms).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^export const RCH_VERSION = "\(.*\)";$/\1/p' src/protocol/build.ts)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
built_at=${RCH_BUILT_AT:-$(date +%s%3N)}
exec bun build --compile --splitting --format=esm --minify --bytecode \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --define "RCH_BUILD_ID=\"$version+$commit.$built_at\"" --define "RCH_BUILT_AT=$built_at" \
  src/bin/rch.ts --outfile "${RCH_BUILD_OUT:-dist/rch}"
