// What one coding agent's hook protocol looks like to rch. Everything that differs between agents
// (payload shape, reply shape, where the hook is registered, what "allowed" means) lives in one
// adapter; the core (classify, decide, the prefilter, the single writer of stdout) is shared.
import type { CommandVerdict } from "../../classify/types.ts";

/** One shell call the agent is about to make, as its payload describes it. */
export interface ShellCall {
  /** The shell line. */
  command: string;
  /** The tool's whole argument object as the agent sent it; a rewrite keeps all of it. */
  toolInput: Record<string, unknown>;
  cwd?: string;
  /** The agent's permission mode when its payload carries one. */
  permissionMode?: string;
}

export type ParsedCall = { ok: true; call: ShellCall } | { ok: false; reason: string };

/** What the adapter asks before a rewrite goes out. */
export interface PermitQuestion {
  call: ShellCall;
  /** The classifier's verdict on each simple command of the original line (what the agent's
   * rules judge), from the classification that produced `rewritten`. */
  commands: readonly CommandVerdict[];
  /** The line as rewritten. */
  rewritten: string;
  env: NodeJS.ProcessEnv;
}

/** Whether the rewrite may go out, and whether the reply may say the line is allowed. A rewrite
 * must never let something run that the original line would not have been allowed to run. */
export type Permit = { rewrite: true; allow: boolean } | { rewrite: false; reason: string };

/** Where the hook is registered: a JSON file whose `hooks.<event>` is a list of
 * `{matcher, hooks: [handler]}` groups (the shape all three agents share). */
export interface Registration {
  file(env: NodeJS.ProcessEnv): string;
  event: string;
  matcher: string;
  /** The handler object for rch's command (timeout units differ per agent). */
  handler(command: string): Record<string, unknown>;
}

export interface AgentAdapter {
  /** As given to `--agent` and in the registered command. */
  name: string;
  title: string;
  /** The decoded JSON payload → the shell call, or why it is none (then: print nothing). */
  parse(payload: unknown): ParsedCall;
  permit(q: PermitQuestion): Permit;
  /** A payload as this agent would send it for `command` (`rch hook test`). */
  sample(command: string, cwd: string, mode: string): Record<string, unknown>;
  /** The one JSON object printed for a rewrite. */
  reply(call: ShellCall, rewritten: string, allow: boolean): Record<string, unknown>;
  registration: Registration;
  /** How the agent runs the registered command (benches and `rch hook test` run it the same way). */
  hookShell: readonly string[];
  /** Whether this agent seems to be used on this machine (`rch hook install --all`). */
  detect(env: NodeJS.ProcessEnv): boolean;
  /** What the user must still do after the hook was installed or removed. */
  afterChange: string;
  /** What the user must still do after an install, when it is more than `afterChange`. */
  afterInstall?: string;
  /** Records the agent's trust in rch's installed hook, for agents that skip untrusted hooks
   * (`rch hook install --trust`: only on that explicit request). */
  trust?(file: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; message: string }>;
  /** Things `rch hook status` should warn about (settings that stop rch from working). */
  warnings?(env: NodeJS.ProcessEnv): string[];
}
