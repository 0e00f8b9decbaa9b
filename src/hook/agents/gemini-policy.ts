// The argument regexes of every Gemini CLI policy rule that could apply to a shell call, built the
// way Gemini builds them (TOML `[[rule]]` and `[[safety_checker]]` entries, `tools.allowed` /
// `tools.core` in settings, `--allowed-tools`). Only the regexes matter to rch (gemini-judge.ts):
// a rule that matches by tool name alone cannot tell the original line from its rewrite.
// Anything rch cannot read or interpret makes the whole answer "unknown", and the hook passes.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { readSmallText } from "../../config/smallFile.ts";
import { parseToml } from "./toml.ts";

export type Patterns = { ok: true; patterns: RegExp[] } | { ok: false; reason: string };

// Built on the first policy file found: most hook runs find none, and building it with the module
// was part of the ~0.35 M instructions this, the settings schema and gemini-status.ts cost per Gemini
// hook run at load (callgrind).
function policyFileSchema() {
  const Strings = v.union([v.string(), v.array(v.string())]);
  const Rule = v.looseObject({
    toolName: v.optional(Strings),
    argsPattern: v.optional(v.string()),
    commandPrefix: v.optional(Strings),
    commandRegex: v.optional(v.string()),
  });
  return v.looseObject({ rule: v.optional(v.array(Rule)), safety_checker: v.optional(v.array(Rule)) });
}
let PolicyFile: ReturnType<typeof policyFileSchema> | undefined;
type Rule = NonNullable<v.InferOutput<ReturnType<typeof policyFileSchema>>["rule"]>[number];

const SHELL_NAMES = new Set(["run_shell_command", "ShellTool"]);

/** Gemini escapes a literal prefix for its regex this way (`"command":"<prefix>` then a word end). */
function prefixPattern(prefix: string): string {
  const open = JSON.stringify(prefix).slice(0, -1);
  return `${`"command":${open}`.replace(/[-[\]{}()*+?.,\\^$|#\s"]/g, "\\$&")}(?:[\\s"]|\\\\")`;
}

function aboutShell(toolName: string | string[] | undefined): boolean {
  if (toolName === undefined) return true;
  const names = Array.isArray(toolName) ? toolName : [toolName];
  return names.some((n) => SHELL_NAMES.has(n) || n.includes("*"));
}

function sources(rule: Rule): string[] {
  if (rule.commandPrefix !== undefined)
    return (Array.isArray(rule.commandPrefix) ? rule.commandPrefix : [rule.commandPrefix]).map(prefixPattern);
  if (rule.commandRegex !== undefined) return [`"command":"${rule.commandRegex}`];
  return rule.argsPattern !== undefined ? [rule.argsPattern] : [];
}

/** Adds a rule's regexes to `into`; false when one does not compile (Gemini would drop the rule,
 * but rch does not guess what else that changes). */
function addRule(rule: Rule, into: RegExp[]): boolean {
  if (!aboutShell(rule.toolName) && rule.commandPrefix === undefined && rule.commandRegex === undefined)
    return true;
  for (const src of sources(rule)) {
    try {
      into.push(new RegExp(src));
    } catch {
      return false;
    }
  }
  return true;
}

/** One policy file. Undefined when fine, else why rch cannot use it. */
export function readPolicyFile(file: string, into: RegExp[]): string | undefined {
  const f = readSmallText(file);
  if (f.kind === "absent") return undefined;
  if (f.kind === "unreadable") return `${file}: ${f.reason}`;
  let doc: unknown;
  try {
    doc = parseToml(f.text);
  } catch {
    return `${file} is not valid TOML`;
  }
  PolicyFile ??= policyFileSchema();
  const r = v.safeParse(PolicyFile, doc);
  if (!r.success) return `${file}: unexpected rule shape`;
  for (const rule of [...(r.output.rule ?? []), ...(r.output.safety_checker ?? [])])
    if (!addRule(rule, into)) return `${file}: a pattern rch cannot compile`;
  return undefined;
}

/** A policy path as Gemini accepts it: a `.toml` file or a directory of them. */
export function readPolicyPath(path: string, into: RegExp[]): string | undefined {
  let names: string[];
  try {
    if (!statSync(path).isDirectory()) return readPolicyFile(path, into);
    names = readdirSync(path).filter((n) => n.endsWith(".toml"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? undefined : `${path}: ${(e as Error).message}`;
  }
  for (const n of names.sort()) {
    const why = readPolicyFile(join(path, n), into);
    if (why) return why;
  }
  return undefined;
}

/** `tools.allowed` / `tools.core` / `--allowed-tools` entries: `run_shell_command(git status)`
 * narrows to a command prefix, a bare name is a tool-name rule. */
export function addToolEntries(entries: readonly string[], into: RegExp[]): void {
  for (const e of entries) {
    const m = /^([a-zA-Z0-9_-]+)\((.*)\)$/s.exec(e);
    if (m && SHELL_NAMES.has(m[1]!)) into.push(new RegExp(prefixPattern(m[2]!)));
  }
}
