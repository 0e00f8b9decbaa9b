// Registers rch in an agent's hook config (Claude Code's settings.json, Codex's hooks.json,
// Gemini's settings.json: the agent adapter says which file and event) without disturbing anything
// else there: every other key and hook is kept, the write is atomic, the previous file is backed
// up, and running it twice changes nothing.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { claude } from "./agents/claude.ts";
import { DEFAULT_AGENT_NAME } from "./agents/index.ts";
import type { AgentAdapter } from "./agents/types.ts";
import { HOOK_MARKER, prefilterCommand } from "./prefilter.ts";

export class SettingsFileError extends Error {
  override name = "SettingsFileError";
}

type Json = Record<string, unknown>;
interface HookEntry {
  matcher?: unknown;
  hooks?: Record<string, unknown>[];
}

function load(file: string): Json {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, "utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SettingsFileError(`${file} is not valid JSON (${(e as Error).message}); not touching it`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new SettingsFileError(`${file} does not hold a JSON object; not touching it`);
  }
  return value as Json;
}

function isOurs(entry: HookEntry): boolean {
  return (entry.hooks ?? []).some((h) => typeof h.command === "string" && h.command.startsWith(HOOK_MARKER));
}

function groups(settings: Json, event: string, file: string): HookEntry[] {
  const hooks = settings.hooks;
  if (hooks !== undefined && (typeof hooks !== "object" || hooks === null || Array.isArray(hooks))) {
    throw new SettingsFileError(`${file}: "hooks" is not an object; not touching it`);
  }
  const list = (hooks as Json | undefined)?.[event];
  if (list !== undefined && !Array.isArray(list))
    throw new SettingsFileError(`${file}: "hooks.${event}" is not an array; not touching it`);
  return (list as HookEntry[] | undefined) ?? [];
}

function save(file: string, settings: Json): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.rch-tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`, {
    mode: existsSync(file) ? statSync(file).mode : 0o600,
  });
  if (existsSync(file)) copyFileSync(file, `${file}.rch-backup`);
  renameSync(tmp, file);
}

export type InstallResult = { changed: boolean; file: string; command: string };

/** The command registered for an agent: bare `rch hook` for the default agent (as installed before
 * there were adapters), `rch hook --agent NAME` for the others. */
export function hookCommand(rchArgv: string[], agent: AgentAdapter): string {
  return prefilterCommand(rchArgv, agent.name === DEFAULT_AGENT_NAME ? undefined : agent.name);
}

export function installHook(
  rchArgv: string[],
  env: NodeJS.ProcessEnv = process.env,
  agent: AgentAdapter = claude,
): InstallResult {
  const reg = agent.registration;
  const file = reg.file(env);
  const settings = load(file);
  const entries = groups(settings, reg.event, file);
  const command = hookCommand(rchArgv, agent);
  const ours: HookEntry = { matcher: reg.matcher, hooks: [reg.handler(command)] };
  const existing = entries.filter(isOurs);
  if (existing.length === 1 && JSON.stringify(existing[0]) === JSON.stringify(ours)) {
    return { changed: false, file, command };
  }
  const kept = entries.filter((e) => !isOurs(e));
  settings.hooks = { ...((settings.hooks as Json | undefined) ?? {}), [reg.event]: [...kept, ours] };
  save(file, settings);
  return { changed: true, file, command };
}

export function uninstallHook(
  env: NodeJS.ProcessEnv = process.env,
  agent: AgentAdapter = claude,
): { changed: boolean; file: string } {
  const { event } = agent.registration;
  const file = agent.registration.file(env);
  if (!existsSync(file)) return { changed: false, file };
  const settings = load(file);
  const entries = groups(settings, event, file);
  const kept = entries.filter((e) => !isOurs(e));
  if (kept.length === entries.length) return { changed: false, file };
  const hooks = { ...(settings.hooks as Json) };
  if (kept.length > 0) hooks[event] = kept;
  else delete hooks[event];
  if (Object.keys(hooks).length > 0) settings.hooks = hooks;
  else delete settings.hooks;
  save(file, settings);
  return { changed: true, file };
}

export interface HookStatus {
  file: string;
  installed: boolean;
  command?: string;
  /** The rch binary the registered command execs, and whether it is still there. */
  binary?: string;
  binaryExists?: boolean;
  /** Whether the registered command is the one this rch registers for that binary: false after
   * an upgrade that changed it (re-install to update; Codex then wants it trusted again). */
  current?: boolean;
}

export function hookStatus(env: NodeJS.ProcessEnv = process.env, agent: AgentAdapter = claude): HookStatus {
  const file = agent.registration.file(env);
  const entry = groups(load(file), agent.registration.event, file).find(isOurs);
  const command = entry?.hooks?.find((h) => typeof h.command === "string")?.command as string | undefined;
  if (!command) return { file, installed: false };
  const binary = /exec '((?:[^']|'\\'')*)'/.exec(command)?.[1]?.replace(/'\\''/g, "'");
  return {
    file,
    installed: true,
    command,
    binary,
    binaryExists: binary ? existsSync(binary) : false,
    current: binary !== undefined && command === hookCommand([binary], agent),
  };
}
