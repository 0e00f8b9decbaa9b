// The fast path: ~99 % of agent commands name no build tool at all. One precompiled regex finds
// a family name standing where a command word could be (line start, after a blank, an operator
// or the `/` of an absolute path; followed by the end, a blank or an operator). Lines without
// such a match cannot classify as builds, so they are rejected before any tokenizing.

import { FAMILY_NAMES } from "./rules.ts";

function candidate(): RegExp {
  const alternatives = [...FAMILY_NAMES]
    .sort((a, b) => b.length - a.length)
    .map((n) => n.replace(/[+]/g, "\\+"))
    .join("|");
  return new RegExp(`(?:^|[\\t ;&|/])(?:${alternatives})(?:$|[\\t ;&|<>])`);
}
// Built on first use, not at import: the hook loads this module but never needs the regex (its
// prefilter already did this job), and building it at import cost ~0.1-0.3 M instructions per hook
// run (callgrind). After the first call it is the same precompiled regex.
let CANDIDATE: RegExp | undefined;

/** False when the line certainly contains no build command word. */
export function mayContainBuild(line: string): boolean {
  CANDIDATE ??= candidate();
  return CANDIDATE.test(line);
}
