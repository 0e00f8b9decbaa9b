// TOML for the agents' own config files (Codex's config.toml, Gemini's policy files), set up only
// when such a file is there to read. With a static import, smol-toml was initialised on every
// Codex and Gemini hook run, though most runs find no file to parse and Codex's hook never reads
// config.toml (only `rch hook status` does): ~1 ms of CPU on their build path (compiled rch, 50
// interleaved runs, medians). A `require` here is bundled as a module that runs on first call,
// which these synchronous readers need; it resolves smol-toml's CommonJS build, the same version
// as the one rch's own config reader imports.
export function parseToml(text: string): unknown {
  const { parse } = require("smol-toml") as typeof import("smol-toml");
  return parse(text);
}
