// `rch hook`: stdin → decision → at most one JSON reply. Always exits 0: any surprise means
// "print nothing", and the agent's command runs exactly as written.
import { readSync } from "node:fs";
import { classifySettings } from "../config/classifySettings.ts";
import { parseBool } from "../config/env.ts";
import { shQuoteAlways } from "../shell/quote.ts";
import { selfArgv } from "../shell/self.ts";
import { DEFAULT_AGENT_NAME, loadAgent } from "./agents/index.ts";
import { decide } from "./decide.ts";
import { MAX_INPUT_BYTES, parseHookInput } from "./input.ts";
import { replyJson, writeReply } from "./reply.ts";

/** Reads stdin up to the limit; a larger payload is abandoned unread rather than buffered.
 * Plain Uint8Array and TextDecoder, not Buffer: this is the build path's first (and for Claude
 * Code and Codex only) use of bytes, and Buffer's first use (allocUnsafe, from, concat,
 * toString) cost ~0.45 M instructions more per hook run (callgrind, compiled, read alone). The
 * decoder keeps a BOM and replaces bad UTF-8 as Buffer's toString("utf8") did. */
function readStdin(limit: number): string | undefined {
  let buf = new Uint8Array(65536);
  let total = 0;
  for (;;) {
    if (total === buf.length) {
      const bigger = new Uint8Array(total * 2);
      bigger.set(buf);
      buf = bigger;
    }
    let n: number;
    try {
      n = readSync(0, buf, total, buf.length - total, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      if ((e as NodeJS.ErrnoException).code === "EOF") break;
      return undefined;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) return undefined;
  }
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(buf.subarray(0, total));
}

export function rchPrefix(): string {
  return `${selfArgv().map(shQuoteAlways).join(" ")} exec -- `;
}

/** `agentName` comes from the registered command (`rch hook --agent NAME`); bare `rch hook` is
 * Claude Code's. An unknown name prints nothing, like any other surprise. */
export async function runHook(agentName?: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    if (parseBool(env.RCH_BYPASS) === true || parseBool(env.RCH_ENABLED) === false) return 0;
    const agent = await loadAgent(agentName ?? DEFAULT_AGENT_NAME);
    if (!agent) return 0;
    const raw = readStdin(MAX_INPUT_BYTES);
    if (raw === undefined) return 0;
    const parsed = parseHookInput(raw, agent);
    if (!parsed.ok) return 0;
    const settings = await classifySettings(env);
    if (!settings?.enabled) return 0;
    const decision = decide(parsed.call, {
      prefix: rchPrefix(),
      threshold: settings.threshold,
      permit: (q) => agent.permit({ ...q, env }),
    });
    writeReply(replyJson(agent, parsed.call, decision));
  } catch {
    // Fail open: whatever went wrong, the command runs as the agent wrote it.
  }
  return 0;
}
