// `rch shim decide TOOL ARGS…`: the shim's question "is this a build?", answered with the hook's
// own classifier and switches, by exit status only (the shim keeps stdin and stdout for the
// tool). Bare in bin/rch.ts's fast dispatch: it runs for every tool call the sh could not settle.
import { classify } from "../classify/index.ts";
import { classifySettings } from "../config/classifySettings.ts";
import { parseBool } from "../config/env.ts";
import { shQuote } from "../shell/quote.ts";
import { DECIDE_LOCAL, DECIDE_OFFLOAD } from "./wrapper.ts";

/** The shell line a user would have typed for this argv: every word quoted, so the classifier
 * sees exactly these words (a newline or `$(` inside one still keeps the line local). */
export function argvLine(argv: readonly string[]): string {
  return argv.map(shQuote).join(" ");
}

export async function shimDecision(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<"offload" | "local"> {
  if (argv.length === 0) return "local";
  // A word that is not UTF-8 reaches JavaScript with U+FFFD in place of its bytes: rch exec could
  // not hand it on unchanged, while the real tool, exec'd by the sh, gets the exact bytes.
  if (argv.some((w) => w.includes("\uFFFD"))) return "local";
  if (parseBool(env.RCH_BYPASS) === true || parseBool(env.RCH_ENABLED) === false) return "local";
  const settings = await classifySettings(env);
  if (!settings?.enabled) return "local";
  const c = classify(argvLine(argv), { threshold: settings.threshold });
  return c.kind === "offload" ? "offload" : "local";
}

/** argv: the words after `shim decide`. Never throws: any surprise is "local". */
export async function runShimDecide(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    return (await shimDecision(argv, env)) === "offload" ? DECIDE_OFFLOAD : DECIDE_LOCAL;
  } catch {
    return DECIDE_LOCAL;
  }
}
