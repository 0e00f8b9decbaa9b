// Agent sandboxes (Codex's bubblewrap + seccomp in its default `read-only` and `workspace-write`
// modes) refuse to create sockets: socket(2) fails with EPERM, for unix sockets and TCP alike.
// Then neither rchd nor a worker can be reached, and waiting, retrying or starting a daemon
// cannot change that, so `rch exec` runs the build here at once and says how to allow it.

/** How to let an agent's commands use sockets (the only agent with such a sandbox: Codex). */
export const SANDBOX_NETWORK_HINT =
  "Codex: -c sandbox_workspace_write.network_access=true (config.toml: [sandbox_workspace_write] " +
  "network_access = true) or --sandbox danger-full-access";

/** The fallback line's reason when `what` (e.g. "connect to rchd") met EPERM on a socket. */
export function socketsForbidden(what: string): string {
  return `the sandbox forbids sockets (${what}: Operation not permitted), so rch cannot reach its workers; allow network access for the agent's commands (${SANDBOX_NETWORK_HINT})`;
}
