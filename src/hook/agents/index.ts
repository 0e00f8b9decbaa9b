// The agent registry: a new agent is one adapter file and one line here. The CLI (`--agent`,
// `--all`), the registered command (`rch hook --agent NAME`) and the benches all read it.
// Adapters load on demand, so a hook run loads only the agent it serves (all three at once cost
// ~0.9 ms more per hook run on a 24 ms Bun start, measured side by side). They load with a
// synchronous `require`, not `await import()`: the dynamic import of an adapter's chunks cost
// 1-2 ms more per build-path hook run (compiled rch, 40 interleaved runs per agent, medians).
import type { AgentAdapter } from "./types.ts";

const LOADERS = {
  claude: async () => (require("./claude.ts") as typeof import("./claude.ts")).claude,
  codex: async () => (require("./codex.ts") as typeof import("./codex.ts")).codex,
  gemini: async () => (require("./gemini.ts") as typeof import("./gemini.ts")).gemini,
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
