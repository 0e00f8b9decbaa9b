// Claude Code: whether the original line would have run without a prompt anyway (README: "The
// hook"). Only then does rch say "allow"; the rewrite must never widen what the user permitted.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { userHome } from "../config/home.ts";
import { smallText } from "../config/smallFile.ts";
import { matchBashRule } from "./rules.ts";

interface RuleSet {
  allow: string[];
  deny: string[];
  ask: string[];
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const text = smallText(file);
    if (text === undefined) return undefined;
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function rulesOf(settings: Record<string, unknown> | undefined, into: RuleSet): void {
  const perms = settings?.permissions as Record<string, unknown> | undefined;
  for (const kind of ["allow", "deny", "ask"] as const) {
    const list = perms?.[kind];
    if (Array.isArray(list)) for (const r of list) if (typeof r === "string") into[kind].push(r);
  }
}

export function claudeDir(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR || join(userHome(env), ".claude");
}

function projectTrusted(env: NodeJS.ProcessEnv, projectDir: string): boolean {
  const state = readJson(join(userHome(env), ".claude.json"));
  const projects = state?.projects as Record<string, { hasTrustDialogAccepted?: unknown }> | undefined;
  return projects?.[projectDir]?.hasTrustDialogAccepted === true;
}

/** The rules Claude Code would apply: managed and user settings; project ones only when trusted. */
export function effectiveRules(env: NodeJS.ProcessEnv, projectDir: string | undefined): RuleSet {
  const rules: RuleSet = { allow: [], deny: [], ask: [] };
  rulesOf(readJson("/etc/claude-code/managed-settings.json"), rules);
  rulesOf(readJson(join(claudeDir(env), "settings.json")), rules);
  if (projectDir) {
    const project = join(projectDir, ".claude", "settings.json");
    const local = join(projectDir, ".claude", "settings.local.json");
    if ((existsSync(project) || existsSync(local)) && projectTrusted(env, projectDir)) {
      rulesOf(readJson(project), rules);
      rulesOf(readJson(local), rules);
    }
  }
  return rules;
}

export function allowedWithoutPrompt(rules: RuleSet, simpleCommands: string[]): boolean {
  if (simpleCommands.length === 0) return false;
  for (const cmd of simpleCommands) {
    for (const r of [...rules.deny, ...rules.ask]) if (matchBashRule(r, cmd) !== "no-match") return false;
    if (!rules.allow.some((r) => matchBashRule(r, cmd) === "match")) return false;
  }
  return true;
}
