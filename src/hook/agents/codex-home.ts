// Where Codex keeps its hooks.json and config.toml: $CODEX_HOME, default ~/.codex.
import { join } from "node:path";
import { userHome } from "../../config/home.ts";

export function codexHome(env: NodeJS.ProcessEnv): string {
  return env.CODEX_HOME || join(userHome(env), ".codex");
}
