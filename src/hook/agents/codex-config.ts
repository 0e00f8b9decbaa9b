// What `rch hook status --agent codex` reads from Codex's config.toml: whether the sandbox lets
// `rch exec` reach rchd and the workers, and whether Codex was told to trust rch's hook. A file
// that cannot be read or parsed is a warning, never an error: status must always answer.
import { join } from "node:path";
import * as v from "valibot";
import { readSmallFile } from "../../config/smallFile.ts";
import { SANDBOX_NETWORK_HINT } from "../../shell/sandbox.ts";
import { HOOK_MARKER } from "../prefilter.ts";
import { codexHome } from "./codex-home.ts";
import { parseToml } from "./toml.ts";

const Config = v.looseObject({
  sandbox_mode: v.optional(v.string()),
  sandbox_workspace_write: v.optional(v.looseObject({ network_access: v.optional(v.boolean()) })),
  hooks: v.optional(v.looseObject({ state: v.optional(v.record(v.string(), v.unknown())) })),
});

/** Why builds would run locally under this config's sandbox, or undefined when they can leave. */
export function sandboxProblem(config: v.InferOutput<typeof Config>): string | undefined {
  const mode = config.sandbox_mode ?? "read-only";
  if (mode === "danger-full-access") return undefined;
  if (mode === "workspace-write" && config.sandbox_workspace_write?.network_access === true) return undefined;
  return (
    `Codex's ${mode} sandbox${config.sandbox_mode ? "" : " (the default)"} forbids sockets, so rch exec ` +
    `cannot reach rchd or the workers and builds run locally; allow it with ${SANDBOX_NETWORK_HINT}`
  );
}

/** Codex keeps trust per hook key `<hooks.json>:pre_tool_use:<group>:<handler>`; whether the hash
 * still matches only Codex can tell, so this only notices trust never given. */
function trustProblem(config: v.InferOutput<typeof Config>, hooksFile: string): string | undefined {
  const keys = Object.keys(config.hooks?.state ?? {});
  if (keys.some((k) => k.startsWith(`${hooksFile}:pre_tool_use:`))) return undefined;
  return "no trust recorded for rch's hook: Codex skips it silently; trust it under /hooks or run rch hook install --agent codex --trust";
}

/** Whether hooks.json holds rch's entry (trust matters only then); install.ts would be the
 * thorough reader, but it imports the agent registry, which imports this adapter. */
function installed(hooksFile: string): boolean {
  const r = readSmallFile(hooksFile);
  return r.kind === "file" && r.bytes.includes(HOOK_MARKER);
}

/** Nothing to say while rch's hook is not installed for Codex (most `rch hook status` readers
 * may not use Codex at all). */
export function codexWarnings(env: NodeJS.ProcessEnv): string[] {
  const hooksFile = join(codexHome(env), "hooks.json");
  if (!installed(hooksFile)) return [];
  const file = join(codexHome(env), "config.toml");
  const read = readSmallFile(file);
  if (read.kind === "unreadable") return [`cannot read ${file}: ${read.reason}`];
  let raw: unknown = {};
  if (read.kind === "file") {
    try {
      raw = parseToml(read.bytes.toString("utf8"));
    } catch (e) {
      return [
        `${file} is not valid TOML (${(e as Error).message.split("\n")[0]}); Codex will not start with it`,
      ];
    }
  }
  const config = v.safeParse(Config, raw);
  if (!config.success) return [`${file}: unexpected sandbox settings (${config.issues[0].message})`];
  const sandbox = sandboxProblem(config.output);
  const trust = trustProblem(config.output, hooksFile);
  return [...(sandbox ? [`${sandbox} (per-session flags may differ)`] : []), ...(trust ? [trust] : [])];
}
