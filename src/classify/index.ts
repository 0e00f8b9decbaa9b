// Public surface of the classifier. Pure: no I/O, no imports from the rest of rch.

export { classify, classifyFull, DEFAULT_PREFIX, DEFAULT_THRESHOLD } from "./classify.ts";
export { mayContainBuild } from "./fastpath.ts";
export {
  COMMAND_NAMES,
  FAMILIES,
  FAMILY_LIST,
  type FamilySpec,
  familyNamed,
  type KindSpec,
  type OutputSpec,
  PROBE_TOOLS,
} from "./registry.ts";
export { FAMILY_RULES } from "./rules.ts";
export type { Classification, ClassifyOptions, CommandVerdict, Family } from "./types.ts";
