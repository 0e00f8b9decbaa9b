// The agent registry: a new agent is one adapter file and one line here. The CLI (`--agent`,
// `--all`), the registered command (`rch hook --agent NAME`) and the benches all read it.
// All adapters load with this module (static imports). Loading one on demand cost more than
// loading all three: `await import()` of its chunks 1-2 ms more per build-path hook run, and a
// synchronous `require` still ~0.5 M instructions more (callgrind, compiled rch; wall time the
// same or 0.2-0.5 ms better), now that what only `rch hook status` needs (codex-config.ts,
// gemini-status.ts) and the Gemini schemas are themselves loaded or built on first use. The
// loaders stay async so the API does not depend on how adapters load.
import { claude } from "./claude.ts";
import { codex } from "./codex.ts";
import { gemini } from "./gemini.ts";
import type { AgentAdapter } from "./types.ts";

const LOADERS = {
  claude: async () => claude,
  codex: async () => codex,
  gemini: async () => gemini,
} satisfies Record<string, () => Promise<AgentAdapter>>;

export const AGENT_NAMES: readonly string[] = Object.keys(LOADERS);

/** The agent a bare `rch hook` serves (hooks installed before there were adapters). */
export const DEFAULT_AGENT_NAME = "claude";

export function loadAgent(name: string): Promise<AgentAdapter | undefined> {
  return Object.hasOwn(LOADERS, name) ? LOADERS[name as keyof typeof LOADERS]() : Promise.resolve(undefined);
}

/** Every agent, in registry order. */
export function loadAgents(): Promise<AgentAdapter[]> {
  return Promise.all(Object.values(LOADERS).map((load) => load()));
}
