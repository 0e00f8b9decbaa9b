// Registers rch in ~/.claude/settings.json without disturbing anything else there: every other
// key and hook is kept, the write is atomic, the previous file is backed up, and running it twice
// changes nothing.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { HOOK_MARKER, prefilterCommand } from "./prefilter.ts";

/** Seconds Claude Code gives the hook before killing it and running the original command. */
export const HOOK_TIMEOUT_S = 10;

export class SettingsFileError extends Error {
  override name = "SettingsFileError";
}

export function settingsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude"), "settings.json");
}

type Json = Record<string, unknown>;
interface HookEntry {
  matcher?: unknown;
  hooks?: { type?: unknown; command?: unknown; timeout?: unknown }[];
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

function preToolUse(settings: Json): HookEntry[] {
  const hooks = settings.hooks;
  if (hooks !== undefined && (typeof hooks !== "object" || hooks === null || Array.isArray(hooks))) {
    throw new SettingsFileError("settings.hooks is not an object; not touching it");
  }
  const list = (hooks as Json | undefined)?.PreToolUse;
  if (list !== undefined && !Array.isArray(list))
    throw new SettingsFileError("hooks.PreToolUse is not an array");
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

export function installHook(rchArgv: string[], env: NodeJS.ProcessEnv = process.env): InstallResult {
  const file = settingsPath(env);
  const settings = load(file);
  const entries = preToolUse(settings);
  const command = prefilterCommand(rchArgv);
  const ours: HookEntry = { matcher: "Bash", hooks: [{ type: "command", command, timeout: HOOK_TIMEOUT_S }] };
  const existing = entries.filter(isOurs);
  if (existing.length === 1 && JSON.stringify(existing[0]) === JSON.stringify(ours)) {
    return { changed: false, file, command };
  }
  const kept = entries.filter((e) => !isOurs(e));
  settings.hooks = { ...((settings.hooks as Json | undefined) ?? {}), PreToolUse: [...kept, ours] };
  save(file, settings);
  return { changed: true, file, command };
}

export function uninstallHook(env: NodeJS.ProcessEnv = process.env): { changed: boolean; file: string } {
  const file = settingsPath(env);
  if (!existsSync(file)) return { changed: false, file };
  const settings = load(file);
  const entries = preToolUse(settings);
  const kept = entries.filter((e) => !isOurs(e));
  if (kept.length === entries.length) return { changed: false, file };
  const hooks = { ...(settings.hooks as Json) };
  if (kept.length > 0) hooks.PreToolUse = kept;
  else delete hooks.PreToolUse;
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
}

export function hookStatus(env: NodeJS.ProcessEnv = process.env): HookStatus {
  const file = settingsPath(env);
  const entry = preToolUse(load(file)).find(isOurs);
  const command = entry?.hooks?.find((h) => typeof h.command === "string")?.command as string | undefined;
  if (!command) return { file, installed: false };
  const binary = /exec '((?:[^']|'\\'')*)'/.exec(command)?.[1]?.replace(/'\\''/g, "'");
  return { file, installed: true, command, binary, binaryExists: binary ? existsSync(binary) : false };
}
