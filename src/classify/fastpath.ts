// The fast path: ~99 % of agent commands name no build tool at all. One precompiled regex finds
// a family name standing where a command word could be (line start, after a blank, an operator
// or the `/` of an absolute path; followed by the end, a blank or an operator). Lines without
// such a match cannot classify as builds, so they are rejected before any tokenizing.

import { FAMILY_NAMES } from "./rules.ts";

const alternatives = [...FAMILY_NAMES]
  .sort((a, b) => b.length - a.length)
  .map((n) => n.replace(/[+]/g, "\\+"))
  .join("|");

const CANDIDATE = new RegExp(`(?:^|[\\t ;&|/])(?:${alternatives})(?:$|[\\t ;&|<>])`);

/** False when the line certainly contains no build command word. */
export function mayContainBuild(line: string): boolean {
  return CANDIDATE.test(line);
}
