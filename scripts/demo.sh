#!/usr/bin/env bash
# rch's main job on a built-in default: start a throwaway loopback sshd worker (an unprivileged
# user on 127.0.0.1, see test/bed), then offload a real cargo workspace build and test to it
# through `rch exec`, exactly as the Claude Code hook would. Everything it starts is stopped and
# removed at the end. Needs root (to create the worker user), like the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$repo/node_modules/.bin:$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh
bun run build >/dev/null 2>&1 || { echo "demo: bun run build failed" >&2; exit 1; }
rch="$repo/dist/rch"

demo=$(mktemp -d /tmp/rch-demo.XXXXXX)
cleanup() {
  "$rch" daemon stop >/dev/null 2>&1 || true
  bun "$repo/test/bed/cli.ts" down >/dev/null 2>&1 || true
  rm -rf "$demo"
}
trap cleanup EXIT
bun test/bed/cli.ts down >/dev/null 2>&1 || true # a leftover demo fleet

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting a throwaway loopback worker"
mkdir -p "$demo/cfg" "$demo/home"
bun test/bed/cli.ts up 1 >"$demo/cfg/workers.toml" 2>"$demo/bed.log" || { cat "$demo/bed.log" >&2; exit 1; }
known_hosts=$(bun -e 'console.log(require("/tmp/rchbed-manual/state.json").workers[0].knownHostsFile)')
printf 'Host 127.0.0.1\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n' "$known_hosts" >"$demo/ssh_config"
cat "$demo/cfg/workers.toml"

# rch's own files all go to the scratch dir; the demo never touches ~/.config/rch or ~/.claude.
export RCH_CONFIG_DIR="$demo/cfg" RCH_CACHE_DIR="$demo/cache" RCH_STATE_DIR="$demo/state"
export RCH_SOCKET_PATH="$demo/cache/rch.sock" RCH_SSH_CONFIG="$demo/ssh_config" HOME="$demo/home"
export RCH_MIN_LOCAL_TIME_MS=0 # the demo builds are small; offload them anyway
export CARGO_HOME="${CARGO_HOME:-/root/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-/root/.rustup}"

say "rch workers probe --all"
"$rch" workers probe --all

cp -r test/fixtures/cargo-ws "$demo/project"
cd "$demo/project"

say "what the hook would do with an agent's build line"
"$rch" classify "cargo build 2>&1 | tail -3"
"$rch" hook test "cargo build 2>&1 | tail -3"

say "rch exec -- cargo build   (on the worker; --verbose shows where it ran)"
RCH_VERBOSE=1 "$rch" exec -- cargo build

say "the binary came back: running target/debug/fxapp locally"
./target/debug/fxapp

say "rch exec -- cargo test"
"$rch" exec -- cargo test 2>&1 | grep -E "^test result|^     Running"

say "a failing build keeps its exit code (101), and is not re-run locally"
echo 'fn broken() -> u32 { "no" }' >>crates/fxcore/src/lib.rs
set +e
"$rch" exec -- cargo build 2>&1 | grep -E '^error' | head -3
code=${PIPESTATUS[0]}
set -e
echo "exit code: $code"

if "$rch" status >/dev/null 2>&1; then
  say "rch status"
  "$rch" status
fi
say "done: worker, daemon and scratch files are being removed"
