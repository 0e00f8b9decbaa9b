#!/usr/bin/env bash
# The whole test suite, as the README's quickstart runs it: set-up, lint, typecheck, build, then
# every test (real sshd workers, real builds, the real Claude Code CLI). Ends with one line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

failed_steps=0
step() {
  local name=$1
  shift
  if ! "$@"; then
    echo "check failed: $name" >&2
    failed_steps=$((failed_steps + 1))
  fi
}
step "biome (format + lint)" biome ci --reporter=summary .
step "typescript" tsc --noEmit -p .
step "shellcheck (worker programs)" shellcheck -s sh src/worker/*.sh
step "build" bun run build

# Bun 1.4.5 ignores `[test] timeout` in bunfig.toml, so the default budget is given here. It is the
# ceiling for a test without its own; slow files also set theirs (setDefaultTimeout or per test), so
# `bun test <file>` without this flag behaves the same.
log=$(mktemp)
bun test --timeout "${RCH_TEST_TIMEOUT_MS:-120000}" 2>&1 | tee "$log"
test_rc=${PIPESTATUS[0]}
pass=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
fail=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
if [ "$test_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
fail=$((fail + failed_steps))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
