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

/** Reads stdin up to the limit; a larger payload is abandoned unread rather than buffered. */
function readStdin(limit: number): string | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      if ((e as NodeJS.ErrnoException).code === "EOF") break;
      return undefined;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) return undefined;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString("utf8");
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
