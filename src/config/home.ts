// The user's home directory: $HOME, else the account's entry (what os.homedir() reads). node:os
// is loaded only in that second case: it is not needed otherwise, and importing it was ~0.8 M of
// the ~5.7 M instructions a build-path hook run spends above the Bun floor (callgrind, compiled
// rch), since every module that names homedir() used to load it with the hook.
export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || (require("node:os") as typeof import("node:os")).homedir();
}
