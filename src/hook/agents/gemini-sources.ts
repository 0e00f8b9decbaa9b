// Where Gemini CLI 0.61 takes shell policy from: admin, user, workspace and extension policy
// directories, `policyPaths` / `adminPolicyPaths` and `tools.allowed` / `tools.core` in the
// system, user and workspace settings, and the flags of the running `gemini` (`--policy`,
// `--admin-policy`, `--allowed-tools`; gemini-flags.ts). rch reads them all
// whatever their tier or mode: an extra rule can only make it pass more often, never less.
// Cost, only for lines that would be rewritten: a few stat/open calls; measured as no CPU
// difference against Claude Code's permission reader (≈52 ms CPU per hook process for both,
// compiled binary, 3×50 runs each, mostly Bun's start on this 2-core machine).
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as v from "valibot";
import { userHome } from "../../config/home.ts";
import { readSmallText } from "../../config/smallFile.ts";
import { type FoundPolicy, parentArgv, parseFlags } from "./gemini-flags.ts";
import { addToolEntries, type Patterns, readPolicyPath } from "./gemini-policy.ts";

export function geminiDir(env: NodeJS.ProcessEnv): string {
  return join(env.GEMINI_CLI_HOME || userHome(env), ".gemini");
}

const SYSTEM_DIR = "/etc/gemini-cli";
// Built on the first settings file found (most hook runs find none; see gemini-policy.ts).
function settingsSchema() {
  const List = v.optional(v.array(v.string()));
  return v.looseObject({
    tools: v.optional(v.looseObject({ allowed: List, core: List })),
    policyPaths: List,
    adminPolicyPaths: List,
    security: v.optional(v.looseObject({ enableConseca: v.optional(v.unknown()) })),
  });
}
let Settings: ReturnType<typeof settingsSchema> | undefined;

/** One settings file; a string says why rch cannot use it (Gemini also accepts comments, which
 * rch does not parse: such a file makes the hook pass). */
function readSettings(file: string, into: FoundPolicy): string | undefined {
  const f = readSmallText(file);
  if (f.kind === "absent") return undefined;
  if (f.kind === "unreadable") return `${file}: ${f.reason}`;
  let json: unknown;
  try {
    json = JSON.parse(f.text);
  } catch {
    return `${file} is not plain JSON`;
  }
  Settings ??= settingsSchema();
  const r = v.safeParse(Settings, json);
  if (!r.success) return `${file}: unexpected settings shape`;
  const s = r.output;
  // Conseca asks a model whether each call fits a policy it generated: rch cannot predict that.
  if (s.security?.enableConseca === true) return `${file} turns on the Conseca safety checker`;
  into.policyPaths.push(...(s.policyPaths ?? []), ...(s.adminPolicyPaths ?? []));
  into.toolEntries.push(...(s.tools?.allowed ?? []), ...(s.tools?.core ?? []));
  return undefined;
}

function extensionPolicyDirs(dir: string): string[] {
  try {
    return readdirSync(join(dir, "extensions")).map((n) => join(dir, "extensions", n, "policies"));
  } catch {
    return [];
  }
}

/** Every argument regex that may judge a shell call in `projectDir`. */
export function shellPatterns(env: NodeJS.ProcessEnv, projectDir: string, ppid: number): Patterns {
  const argv = parentArgv(ppid);
  if (!argv) return { ok: false, reason: "cannot read gemini's command line" };
  const flags = parseFlags(argv, projectDir);
  const dir = geminiDir(env);
  const system = env.GEMINI_CLI_SYSTEM_SETTINGS_PATH || join(SYSTEM_DIR, "settings.json");
  const settingsFiles = [
    env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH || join(dirname(system), "system-defaults.json"),
    system,
    join(dir, "settings.json"),
    join(projectDir, ".gemini", "settings.json"),
  ];
  for (const file of settingsFiles) {
    const why = readSettings(file, flags);
    if (why) return { ok: false, reason: why };
  }
  const patterns: RegExp[] = [];
  const paths = [
    join(SYSTEM_DIR, "policies"),
    join(dir, "policies"),
    join(projectDir, ".gemini", "policies"),
    ...extensionPolicyDirs(dir),
    ...flags.policyPaths.map((p) =>
      p === "~" || p.startsWith("~/") ? join(userHome(env), p.slice(1)) : resolve(projectDir, p),
    ),
  ];
  for (const p of paths) {
    const why = readPolicyPath(p, patterns);
    if (why) return { ok: false, reason: why };
  }
  addToolEntries(flags.toolEntries, patterns);
  return { ok: true, patterns };
}
