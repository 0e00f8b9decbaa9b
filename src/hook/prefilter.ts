// The command registered with each agent. The agents run it through a shell (`/bin/sh -c`, `bash
// -c`) for every shell call, and a compiled Bun binary alone costs more than the hook's whole budget, so a
// few lines of POSIX sh look for a build keyword first and exec rch only when one is there.
// The prefilter may only say "maybe": it must let through every line the classifier could
// offload (a miss merely runs the build locally); all real decisions stay in TypeScript.
import { COMMAND_NAMES } from "../classify/registry.ts";
import { shQuoteAlways } from "../shell/quote.ts";
import { SHORT_RUN_ENV } from "../shell/shortRun.ts";

/** Command words of every family, from the family registry: a new family is let through as
 * soon as it is declared there. */
export const PREFILTER_KEYWORDS: readonly string[] = COMMAND_NAMES;

/** Marks rch's entry in an agent's config so install is idempotent and uninstall finds it. */
export const HOOK_MARKER = ": rch-hook v1;";

// A keyword only counts as a whole word: the character before and after may not be part of a
// command name. The whole payload is matched (cwd and transcript_path too): stripping everything
// before `"command":` first cost more (dash's `${l#*…}` is quadratic) than the rare extra start
// of rch when a path holds a keyword as a whole word.
const edge = "[!A-Za-z0-9_.+-]";

/** `agent` is omitted for Claude Code, whose hooks predate adapters (bare `rch hook`). */
export function prefilterCommand(rchArgv: string[], agent?: string): string {
  const patterns = PREFILTER_KEYWORDS.map((k) => `*${edge}${k}${edge}*`).join("|");
  const rch = `${rchArgv.map(shQuoteAlways).join(" ")} hook${agent ? ` --agent ${shQuoteAlways(agent)}` : ""}`;
  // `read` stops at the first newline (the agents send one line of JSON); the unquoted
  // here-document hands that line to rch without a fork and without re-expanding its content.
  return [
    `${HOOK_MARKER} IFS= read -r l; case $l in ${patterns}) ${SHORT_RUN_ENV} exec ${rch} <<RCH_EOF`,
    "$l",
    "RCH_EOF",
    ";; esac",
  ].join("\n");
}
