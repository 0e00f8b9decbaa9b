// The classifier's view of the family registry (registry.ts): each family's command names,
// extra help/version spellings and the function that judges its arguments, looked up by command
// name. classify() only consults this table; the per-family details live in cargo.ts,
// compilers.ts, make.ts and tools.ts.

import { COMMAND_NAMES, FAMILIES, FAMILY_LIST, type Family, type FamilySpec } from "./registry.ts";

export interface FamilyRule extends Pick<FamilySpec, "names" | "help" | "judge"> {
  family: Family;
}

export const FAMILY_RULES: readonly FamilyRule[] = FAMILY_LIST.map((family) => {
  const { names, help, judge } = FAMILIES[family];
  return { family, names, help, judge };
});

const BY_NAME = new Map<string, FamilyRule>();
for (const rule of FAMILY_RULES) for (const name of rule.names) BY_NAME.set(name, rule);

export function ruleFor(name: string): FamilyRule | undefined {
  return BY_NAME.get(name);
}

/** Every command name of every family: the fast path's keyword list is derived from it. */
export const FAMILY_NAMES: readonly string[] = COMMAND_NAMES;
