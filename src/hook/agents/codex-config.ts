// What `rch hook status --agent codex` reads from Codex's config.toml: whether the sandbox lets
// `rch exec` reach rchd and the workers, and whether Codex was told to trust rch's hook. A file
// that cannot be read or parsed is a warning, never an error: status must always answer.
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import * as v from "valibot";
import { readSmallFile } from "../../config/smallFile.ts";

export function codexHome(env: NodeJS.ProcessEnv): string {
  return env.CODEX_HOME || join(env.HOME || homedir(), ".codex");
}

const Config = v.looseObject({
  sandbox_mode: v.optional(v.string()),
  sandbox_workspace_write: v.optional(v.looseObject({ network_access: v.optional(v.boolean()) })),
});

export const NETWORK_HINT =
  "allow it with `-c sandbox_workspace_write.network_access=true` (config.toml: " +
  "[sandbox_workspace_write] network_access = true) or `--sandbox danger-full-access`";

/** Why builds would run locally under this config's sandbox, or undefined when they can leave. */
export function sandboxProblem(config: v.InferOutput<typeof Config>): string | undefined {
  const mode = config.sandbox_mode ?? "read-only";
  if (mode === "danger-full-access") return undefined;
  if (mode === "workspace-write" && config.sandbox_workspace_write?.network_access === true) return undefined;
  return (
    `Codex's ${mode} sandbox${config.sandbox_mode ? "" : " (the default)"} forbids sockets, so rch exec ` +
    `cannot reach rchd or the workers and builds run locally; ${NETWORK_HINT}`
  );
}

export function codexWarnings(env: NodeJS.ProcessEnv): string[] {
  const file = join(codexHome(env), "config.toml");
  const read = readSmallFile(file);
  if (read.kind === "unreadable") return [`cannot read ${file}: ${read.reason}`];
  let raw: unknown = {};
  if (read.kind === "file") {
    try {
      raw = parse(read.bytes.toString("utf8"));
    } catch (e) {
      return [
        `${file} is not valid TOML (${(e as Error).message.split("\n")[0]}); Codex will not start with it`,
      ];
    }
  }
  const config = v.safeParse(Config, raw);
  if (!config.success) return [`${file}: unexpected sandbox settings (${config.issues[0].message})`];
  const problem = sandboxProblem(config.output);
  return problem ? [`${problem} (per-session flags may differ)`] : [];
}
