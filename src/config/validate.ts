// Turns one parsed TOML document into config overrides, key by key. Nothing here throws: every
// problem becomes a ConfigIssue and the offending key keeps the value from the layer below.
import * as v from "valibot";
import { type KeyPath, locateKey } from "./locate.ts";
import { envName, type SectionName, sectionSchemas } from "./schema.ts";

export interface ConfigIssue {
  file: string;
  line?: number;
  key: string;
  message: string;
  hint?: string;
}

/** One line per issue, `file:line: key: message — hint`: the same text in the CLI and the daemon log. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}` : issue.file;
  const hint = issue.hint ? ` — ${issue.hint}` : "";
  return `${where}: ${issue.key}: ${issue.message}${hint}`;
}

export type Overrides = Partial<Record<SectionName, Record<string, unknown>>> & {
  environment?: Record<string, string>;
};

export interface DocContext {
  file: string;
  text: string;
  issues: ConfigIssue[];
}

export function issueAt(ctx: DocContext, path: KeyPath, message: string, hint?: string): void {
  const key = path
    .map((p) => (typeof p === "number" ? `[${p}]` : p))
    .join(".")
    .replace(/\.\[/g, "[");
  const issue: ConfigIssue = { file: ctx.file, key, message };
  const line = locateKey(ctx.text, path);
  if (line !== undefined) issue.line = line;
  if (hint !== undefined) issue.hint = hint;
  ctx.issues.push(issue);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of choices) {
    const d = editDistance(word, c);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "a table";
  return String(value);
}

export function schemaMessage(issues: v.BaseIssue<unknown>[], value: unknown): string {
  const first = issues[0];
  if (first?.expected && first.received) return `expected ${first.expected}, got ${first.received}`;
  return `${first?.message ?? "is invalid"} (got ${describeValue(value)})`;
}

function isTable(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Date);
}

/** Validates the sections rch knows; `allowed` limits which sections this file may set. */
export function validateSections(
  doc: Record<string, unknown>,
  ctx: DocContext,
  allowed: readonly (SectionName | "environment")[],
): Overrides {
  const out: Overrides = {};
  for (const [section, body] of Object.entries(doc)) {
    if (!allowed.includes(section as SectionName)) {
      const near = suggest(section, allowed);
      issueAt(ctx, [section], `unknown section [${section}]`, near ? `did you mean [${near}]?` : undefined);
      continue;
    }
    if (!isTable(body)) {
      issueAt(ctx, [section], `[${section}] must be a table`, `write it as a [${section}] header`);
      continue;
    }
    if (section === "environment") {
      out.environment = validateEnvironment(body, ctx);
      continue;
    }
    const schemas = sectionSchemas[section as SectionName] as Record<string, v.GenericSchema>;
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      const schema = schemas[key];
      if (!schema) {
        const near = suggest(key, Object.keys(schemas));
        issueAt(ctx, [section, key], "unknown key", near ? `did you mean '${near}'?` : undefined);
        continue;
      }
      const result = v.safeParse(schema, value);
      if (result.success) values[key] = result.output;
      else issueAt(ctx, [section, key], schemaMessage(result.issues, value), "the default is used instead");
    }
    out[section as SectionName] = values;
  }
  return out;
}

function validateEnvironment(body: Record<string, unknown>, ctx: DocContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!v.safeParse(envName, name).success) {
      issueAt(ctx, ["environment", name], "is not a valid environment variable name");
    } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      issueAt(ctx, ["environment", name], `must be a string (got ${describeValue(value)})`);
    } else {
      env[name] = String(value);
    }
  }
  return env;
}
