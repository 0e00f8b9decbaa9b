// Checks that apply to every family: help/version queries and snapshot-update variables.

import type { WordToken } from "./tokenize.ts";

/**
 * Environment names that ask test suites to rewrite files in the source tree (insta, expect-test,
 * trybuild, ui tests, jest-like runners…). Those writes would land on the worker and be lost, so
 * we are generous: any name mentioning one of these words keeps the command local.
 */
const SNAPSHOT_NAME = /UPDATE|BLESS|OVERWRITE|SNAPSHOT|REGEN|RECORD|ACCEPT|^INSTA_|TRYBUILD/i;
const SNAPSHOT_VALUE = /overwrite|^bless$/i;

/** Why a NAME=value assignment (shell, env or make variable) keeps the command local, or undefined. */
export function snapshotAssignment(value: string): string | undefined {
  const eq = value.indexOf("=");
  const name = value.slice(0, eq).replace(/[+?!:]+$/, "");
  const val = value.slice(eq + 1);
  if (SNAPSHOT_NAME.test(name) || SNAPSHOT_VALUE.test(val)) {
    return `${name}=… may make tests rewrite files in the source tree`;
  }
  return undefined;
}

/** Help/version spellings every family understands or that are harmless to treat as such. */
function commonHelp(v: string): boolean {
  return v === "-h" || v === "-help" || v.startsWith("--help") || v.startsWith("--version");
}

/** Extra help/version spellings of one family (data from the rules table). */
export interface HelpSpec {
  /** Exact words, e.g. `-V`, `--list`. */
  words?: readonly string[];
  /** Letters that make a short cluster (`-vV`) a help/version query. */
  clusterLetters?: string;
}

const CLUSTER = /^-[A-Za-z]+$/;

/** The first argument that asks for help or a version, if any; wherever it stands, `--` included. */
export function findHelp(args: readonly WordToken[], spec: HelpSpec): string | undefined {
  for (const w of args) {
    const v = w.value;
    if (v.charCodeAt(0) !== 45 /* - */) continue;
    if (commonHelp(v) || spec.words?.includes(v)) return v;
    const letters = spec.clusterLetters;
    if (letters && CLUSTER.test(v)) {
      for (let k = 1; k < v.length; k++) if (letters.includes(v[k]!)) return v;
    }
  }
  return undefined;
}
