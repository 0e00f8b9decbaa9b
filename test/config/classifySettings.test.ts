// The two settings the hook and the shim need: read without the config machinery when no file can
// change them, and always the same answer the full config load gives.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifySettings } from "../../src/config/classifySettings.ts";
import { loadConfig } from "../../src/config/load.ts";

let dir: string;
const saved = process.env.RCH_CONFIG_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rch-hook-settings-"));
  process.env.RCH_CONFIG_DIR = dir; // paths are read from the process environment at call time
});
afterEach(() => {
  if (saved === undefined) delete process.env.RCH_CONFIG_DIR;
  else process.env.RCH_CONFIG_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

const full = (env: NodeJS.ProcessEnv) => {
  const { config, unreadable } = loadConfig({ env, workers: false });
  return unreadable
    ? undefined
    : { enabled: config.general.enabled, threshold: config.compilation.confidence_threshold };
};

test.each([
  ["no file", undefined, {}],
  ["a threshold in the file", "[compilation]\nconfidence_threshold = 0.9\n", {}],
  ["disabled in the file", "enabled = false\n", {}],
  ["[general] enabled = false", "[general]\nenabled = false\n", {}],
  ["a bad value (ignored with a warning)", "[compilation]\nconfidence_threshold = 7\n", {}],
  ["an env override, no file", undefined, { RCH_CONFIDENCE_THRESHOLD: "0.95" }],
  ["a bad env override", undefined, { RCH_CONFIDENCE_THRESHOLD: "high" }],
  ["env over file", "[compilation]\nconfidence_threshold = 0.9\n", { RCH_CONFIDENCE_THRESHOLD: "0.2" }],
] as const)("%s: the same as the full config load", async (_name, file, extra) => {
  if (file !== undefined) writeFileSync(join(dir, "config.toml"), file);
  const env = { ...process.env, ...extra };
  const want = full(env);
  expect(want).toBeDefined();
  expect(await classifySettings(env)).toEqual(want!);
});

test("a config file that cannot be read: no settings (the hook prints nothing)", async () => {
  mkdirSync(join(dir, "config.toml")); // a directory where the file should be
  expect(full(process.env)).toBeUndefined();
  expect(await classifySettings(process.env)).toBeUndefined();
});
