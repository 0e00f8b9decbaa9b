// The agent registry: a new agent is one adapter file and one line here. The CLI (`--agent`), the
// registered command (`rch hook --agent NAME`) and `--all` all read this list.
import { claude } from "./claude.ts";
import { codex } from "./codex.ts";
import { gemini } from "./gemini.ts";
import type { AgentAdapter } from "./types.ts";

export const AGENTS: readonly AgentAdapter[] = [claude, codex, gemini];

/** The agent a bare `rch hook` serves (hooks installed before there were adapters). */
export const DEFAULT_AGENT = claude;

export function agentNamed(name: string): AgentAdapter | undefined {
  return AGENTS.find((a) => a.name === name);
}
