import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { formatIssue } from "../../src/config/validate.ts";

let dir: string;
let cfgDir: string;
const env = () => ({ RCH_CONFIG_DIR: cfgDir }) as NodeJS.ProcessEnv;

// Test files share one process: whatever RCH_CONFIG_DIR was before, it is put back.
const savedConfigDir = process.env.RCH_CONFIG_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rch-config-"));
  cfgDir = join(dir, "cfg");
  mkdirSync(cfgDir);
  process.env.RCH_CONFIG_DIR = cfgDir;
});
afterEach(() => {
  if (savedConfigDir === undefined) delete process.env.RCH_CONFIG_DIR;
  else process.env.RCH_CONFIG_DIR = savedConfigDir;
  rmSync(dir, { recursive: true, force: true });
});

describe("config layering", () => {
  test("defaults when no file exists", () => {
    const { config, workers, issues } = loadConfig({ env: env() });
    expect(config.compilation.confidence_threshold).toBe(0.85);
    expect(config.general.enabled).toBe(true);
    expect(workers).toEqual([]);
    expect(issues).toEqual([]);
  });

  test("the README's config.toml example, as written, is valid and is the defaults", () => {
    const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
    const start = readme.indexOf("`~/.config/rch/config.toml` (all keys optional; defaults shown):");
    expect(start).toBeGreaterThan(0);
    const block = /```toml\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
    expect(block).toContain("socket_path");
    writeFileSync(join(cfgDir, "config.toml"), block!);
    const withExample = loadConfig({ env: env() });
    expect(withExample.issues.map(formatIssue)).toEqual([]);
    rmSync(join(cfgDir, "config.toml"));
    expect(withExample.config).toEqual(loadConfig({ env: env() }).config);
  });

  test("user < project < env", () => {
    writeFileSync(
      join(cfgDir, "config.toml"),
      "[compilation]\nmin_local_time_ms = 100\n[transfer]\ncompression_level = 5\n",
    );
    const proj = join(dir, "proj");
    mkdirSync(join(proj, ".rch"), { recursive: true });
    writeFileSync(
      join(proj, ".rch", "config.toml"),
      '[compilation]\nmin_local_time_ms = 50\n[transfer]\nexclude_patterns = ["data/"]\n[environment]\nRUSTFLAGS = "-C x"\n',
    );
    const { config, issues } = loadConfig({ projectRoot: proj, env: { ...env(), RCH_COMPRESSION: "7" } });
    expect(issues).toEqual([]);
    expect(config.compilation.min_local_time_ms).toBe(50);
    expect(config.transfer.compression_level).toBe(7);
    expect(config.transfer.exclude_patterns).toContain("target/");
    expect(config.transfer.exclude_patterns).toContain("data/");
    expect(config.environment).toEqual({ RUSTFLAGS: "-C x" });
  });

  test("project enabled = false at top level disables", () => {
    const proj = join(dir, "p2");
    mkdirSync(join(proj, ".rch"), { recursive: true });
    writeFileSync(join(proj, ".rch", "config.toml"), "enabled = false\n");
    expect(loadConfig({ projectRoot: proj, env: env() }).config.general.enabled).toBe(false);
  });

  test("a bad value names file, line and key, and keeps the default", () => {
    const file = join(cfgDir, "config.toml");
    writeFileSync(
      file,
      "# comment\n[general]\nenabled = true\n\n[compilation]\nconfidence_threshold = 1.5\n",
    );
    const { config, issues } = loadConfig({ env: env() });
    expect(config.compilation.confidence_threshold).toBe(0.85);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file, line: 6, key: "compilation.confidence_threshold" });
    expect(formatIssue(issues[0]!)).toContain(`${file}:6: compilation.confidence_threshold:`);
  });

  test("a typo in a key suggests the right one", () => {
    writeFileSync(join(cfgDir, "config.toml"), "[compilation]\nconfidence_treshold = 0.9\n");
    const { issues } = loadConfig({ env: env() });
    expect(issues[0]).toMatchObject({
      line: 2,
      key: "compilation.confidence_treshold",
      message: "unknown key",
    });
    expect(issues[0]?.hint).toContain("confidence_threshold");
  });

  test("TOML syntax errors name the line and ignore the file", () => {
    writeFileSync(join(cfgDir, "config.toml"), '[general]\nenabled = false\nlog_level = "info\n');
    const { config, issues } = loadConfig({ env: env() });
    expect(config.general.enabled).toBe(true);
    expect(issues[0]?.key).toBe("(syntax)");
    expect(issues[0]?.line).toBe(3);
  });

  test("project files cannot redirect the socket", () => {
    const proj = join(dir, "p3");
    mkdirSync(join(proj, ".rch"), { recursive: true });
    writeFileSync(join(proj, ".rch", "config.toml"), '[general]\nsocket_path = "/tmp/evil.sock"\n');
    const { config, issues } = loadConfig({ projectRoot: proj, env: env() });
    expect(config.general.socket_path).toBe("");
    expect(issues[0]).toMatchObject({ line: 2, key: "general.socket_path" });
  });

  test("bad env override is reported and ignored", () => {
    const { config, issues } = loadConfig({ env: { ...env(), RCH_COMPRESSION: "max" } });
    expect(config.transfer.compression_level).toBe(3);
    expect(issues[0]).toMatchObject({ file: "environment", key: "RCH_COMPRESSION" });
  });
});

describe("workers.toml", () => {
  test("valid workers get defaults", () => {
    writeFileSync(join(cfgDir, "workers.toml"), '[[workers]]\nid = "a"\nhost = "10.0.0.1"\nuser = "u"\n');
    const { workers, issues } = loadConfig({ env: env() });
    expect(issues).toEqual([]);
    expect(workers[0]).toMatchObject({ id: "a", port: 22, total_slots: 8, priority: 100, enabled: true });
  });

  test("a broken worker is dropped with its line; others survive", () => {
    writeFileSync(
      join(cfgDir, "workers.toml"),
      '[[workers]]\nid = "a"\nhost = "h1"\n\n[[workers]]\nid = "b"\nhost = "h2"\ntotal_slots = "many"\n\n[[workers]]\nid = "a"\nhost = "h3"\n',
    );
    const { workers, issues } = loadConfig({ env: env() });
    expect(workers.map((w) => w.id)).toEqual(["a"]);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ line: 8, key: "workers[1].total_slots" });
    expect(issues[1]).toMatchObject({ line: 11, key: "workers[2].id" });
  });

  test("missing host is required", () => {
    writeFileSync(join(cfgDir, "workers.toml"), '[[workers]]\nid = "a"\n');
    const { issues } = loadConfig({ env: env() });
    expect(issues[0]).toMatchObject({ key: "workers[0].host", message: "is required", line: 1 });
  });
});

test("workers: false skips workers.toml entirely (the hook's path)", () => {
  writeFileSync(join(cfgDir, "workers.toml"), '[[workers]]\nid = "a"\nhost = 5\n');
  const skipped = loadConfig({ env: env(), workers: false });
  expect(skipped.workers).toEqual([]);
  expect(skipped.issues).toEqual([]);
  expect(loadConfig({ env: env() }).issues).toHaveLength(1);
});

describe("disk settings", () => {
  test("defaults: min_free_gb 10, no budget, and the [gc] policy", () => {
    writeFileSync(join(cfgDir, "workers.toml"), '[[workers]]\nid = "a"\nhost = "h"\n');
    const { config, workers, issues } = loadConfig({ env: env() });
    expect(issues).toEqual([]);
    expect(workers[0]).toMatchObject({ min_free_gb: 10, max_disk_gb: 0 });
    expect(config.gc).toEqual({
      auto: true,
      keep_recent_h: 2,
      critical_free_gb: 2,
      gc_headroom_gb: 5,
      trim_incremental_after_d: 3,
      census_interval_h: 6,
      new_copy_reserve_gb: 2,
    });
  });

  test("decimals are accepted, so a small test disk can have a floor in MB", () => {
    writeFileSync(
      join(cfgDir, "workers.toml"),
      '[[workers]]\nid = "a"\nhost = "h"\nmin_free_gb = 0.02\nmax_disk_gb = 0.5\n',
    );
    writeFileSync(
      join(cfgDir, "config.toml"),
      "[gc]\nauto = false\nkeep_recent_h = 0.5\ngc_headroom_gb = 0.01\ncensus_interval_h = 0.25\n",
    );
    const { config, workers, issues } = loadConfig({ env: env() });
    expect(issues).toEqual([]);
    expect(workers[0]).toMatchObject({ min_free_gb: 0.02, max_disk_gb: 0.5 });
    expect(config.gc).toMatchObject({
      auto: false,
      keep_recent_h: 0.5,
      gc_headroom_gb: 0.01,
      census_interval_h: 0.25,
    });
  });

  test("bad values name file, line and key", () => {
    const workersFile = join(cfgDir, "workers.toml");
    writeFileSync(workersFile, '[[workers]]\nid = "a"\nhost = "h"\nmin_free_gb = -1\n');
    const configFile = join(cfgDir, "config.toml");
    writeFileSync(configFile, "[gc]\nkeep_recent_h = 2\ncensus_interval_h = 0\nkeep_recnt_h = 1\n");
    const { config, workers, issues } = loadConfig({ env: env() });
    expect(workers).toEqual([]); // a broken worker entry is dropped, as for any other key
    expect(config.gc.census_interval_h).toBe(6);
    expect(issues.map((i) => [i.file, i.line, i.key])).toEqual([
      [configFile, 3, "gc.census_interval_h"],
      [configFile, 4, "gc.keep_recnt_h"],
      [workersFile, 4, "workers[0].min_free_gb"],
    ]);
    expect(issues[1]?.hint).toContain("keep_recent_h");
  });

  test("a project file cannot change the GC policy", () => {
    const proj = join(dir, "p4");
    mkdirSync(join(proj, ".rch"), { recursive: true });
    writeFileSync(join(proj, ".rch", "config.toml"), "[gc]\nauto = false\n");
    const { config, issues } = loadConfig({ projectRoot: proj, env: env() });
    expect(config.gc.auto).toBe(true);
    expect(issues[0]).toMatchObject({ line: 1, key: "gc" });
  });
});
