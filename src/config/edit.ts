// `rch config set`: changes one key in a TOML file by editing its line, so the user's comments and
// layout survive. The value is validated against the same schema the loader uses before writing.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parse, stringify } from "smol-toml";
import * as v from "valibot";
import { type SectionName, sectionSchemas } from "./schema.ts";
import { schemaMessage, suggest } from "./validate.ts";

export type SetResult =
  | { ok: true; file: string; value: unknown }
  | { ok: false; message: string; hint?: string };

/** Interprets the command-line text as a TOML value (`3`, `true`, `["a"]`), else as a plain string. */
export function parseValue(raw: string): unknown {
  try {
    return (parse(`v = ${raw}`) as { v: unknown }).v;
  } catch {
    return raw;
  }
}

export function setConfigValue(file: string, dotted: string, raw: string): SetResult {
  const [section, key, ...rest] = dotted.split(".");
  if (!section || !key || rest.length > 0) {
    return {
      ok: false,
      message: `'${dotted}' is not a key`,
      hint: "keys look like compilation.min_local_time_ms",
    };
  }
  const value = parseValue(raw);
  if (section === "environment") {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      return { ok: false, message: `'${key}' is not a variable name` };
  } else {
    const schemas = sectionSchemas[section as SectionName] as Record<string, v.GenericSchema> | undefined;
    if (!schemas) {
      const near = suggest(section, Object.keys(sectionSchemas));
      return {
        ok: false,
        message: `unknown section '${section}'`,
        hint: near ? `did you mean '${near}'?` : undefined,
      };
    }
    const schema = schemas[key];
    if (!schema) {
      const near = suggest(key, Object.keys(schemas));
      return {
        ok: false,
        message: `unknown key '${dotted}'`,
        hint: near ? `did you mean '${section}.${near}'?` : undefined,
      };
    }
    const checked = v.safeParse(schema, value);
    if (!checked.success) return { ok: false, message: `${dotted} ${schemaMessage(checked.issues, value)}` };
  }
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const next = upsertLine(text, section, key, stringify({ [key]: value }).trim());
  try {
    parse(next);
  } catch (e) {
    return { ok: false, message: `${file} would not be valid TOML after the edit: ${(e as Error).message}` };
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, next);
  renameSync(tmp, file);
  return { ok: true, file, value };
}

function upsertLine(text: string, section: string, key: string, line: string): string {
  const lines = text.length > 0 ? text.replace(/\n$/, "").split("\n") : [];
  const header = new RegExp(`^\\s*\\[\\s*${section}\\s*\\]\\s*(#.*)?$`);
  const keyRe = new RegExp(`^\\s*${key}\\s*=`);
  const start = lines.findIndex((l) => header.test(l));
  if (start === -1) {
    if (lines.length > 0) lines.push("");
    lines.push(`[${section}]`, line);
    return `${lines.join("\n")}\n`;
  }
  let end = start + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end]!)) end++;
  for (let i = start + 1; i < end; i++) {
    if (keyRe.test(lines[i]!)) {
      lines[i] = line;
      return `${lines.join("\n")}\n`;
    }
  }
  let insertAt = end;
  while (insertAt > start + 1 && lines[insertAt - 1]!.trim() === "") insertAt--;
  lines.splice(insertAt, 0, line);
  return `${lines.join("\n")}\n`;
}
