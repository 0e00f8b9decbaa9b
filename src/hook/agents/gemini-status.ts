// What `rch hook status` should say about a Gemini CLI setup that keeps rch from working: hooks
// switched off (all of them, or rch's by its name), or policy rch cannot read (then every line
// runs locally), or shell rules with argument patterns (the builds they name stay local).
import { join } from "node:path";
import * as v from "valibot";
import { readSmallFile } from "../../config/smallFile.ts";
import { geminiDir, shellPatterns } from "./gemini-sources.ts";

const HooksConfig = v.looseObject({
  hooksConfig: v.optional(
    v.looseObject({ enabled: v.optional(v.unknown()), disabled: v.optional(v.array(v.unknown())) }),
  ),
});

function hookSwitches(file: string): string[] {
  const f = readSmallFile(file);
  if (f.kind !== "file") return [];
  let json: unknown;
  try {
    json = JSON.parse(f.bytes.toString("utf8"));
  } catch {
    return [];
  }
  const r = v.safeParse(HooksConfig, json);
  const cfg = r.success ? r.output.hooksConfig : undefined;
  const out: string[] = [];
  if (cfg?.enabled === false) out.push(`${file} turns all hooks off (hooksConfig.enabled: false)`);
  if (cfg?.disabled?.includes("rch")) out.push(`${file} turns rch's hook off (hooksConfig.disabled)`);
  return out;
}

export function geminiWarnings(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string[] {
  const out = hookSwitches(join(geminiDir(env), "settings.json"));
  const rules = shellPatterns(env, cwd, process.pid);
  if (!rules.ok) out.push(`rch cannot interpret Gemini's policy (${rules.reason}): every line runs locally`);
  else if (rules.patterns.length > 0)
    out.push(
      `${rules.patterns.length} shell policy rule(s) match on the command text; builds they name run locally (a rewrite would change their verdict)`,
    );
  return out;
}
