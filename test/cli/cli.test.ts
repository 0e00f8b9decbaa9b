// The CLI as users run it: the compiled binary, global flags, config commands, classify.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRchBuilt } from "../support/rch-binary.ts";

// Each test starts the compiled rch a few times (≈10–60 ms each; several times that on a slow machine).
setDefaultTimeout(30_000);

let rch: string;
beforeAll(async () => {
  rch = await ensureRchBuilt(); // may have to build dist/rch first
}, 300_000);

/** Every sandbox lives under one dir, removed whatever the tests did. */
const scratch = mkdtempSync(join(tmpdir(), "rch-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function sandbox() {
  const root = mkdtempSync(join(scratch, "s-"));
  const cfg = join(root, "cfg");
  const proj = join(root, "proj");
  mkdirSync(cfg);
  mkdirSync(proj);
  const env = { PATH: "/usr/bin:/bin", HOME: root, RCH_CONFIG_DIR: cfg };
  const run = (...args: string[]) => {
    const r = Bun.spawnSync([rch, ...args], { cwd: proj, env, timeout: 20_000 });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };
  return { root, cfg, proj, run };
}

describe("rch config", () => {
  test("set writes the user file, keeps comments, and validates the value", () => {
    const s = sandbox();
    writeFileSync(join(s.cfg, "config.toml"), "# mine\n[compilation]\n# keep me\nmin_local_time_ms = 1\n");
    expect(s.run("config", "set", "compilation.min_local_time_ms", "5000").code).toBe(0);
    expect(readFileSync(join(s.cfg, "config.toml"), "utf8")).toBe(
      "# mine\n[compilation]\n# keep me\nmin_local_time_ms = 5000\n",
    );
    const typo = s.run("config", "set", "compilation.confidence_treshold", "0.9");
    expect(typo.code).toBe(1);
    expect(typo.err).toContain("did you mean 'compilation.confidence_threshold'");
    const range = s.run("config", "set", "transfer.compression_level", "40");
    expect(range.code).toBe(1);
    expect(range.err).toContain("expected <=19, got 40");
  });

  test("validate names file, line and key, exits 1, and JSON has the same", () => {
    const s = sandbox();
    writeFileSync(join(s.cfg, "workers.toml"), '[[workers]]\nid = "w1"\nhost = "h"\ntotal_slots = "x"\n');
    const text = s.run("config", "validate");
    expect(text.code).toBe(1);
    expect(text.out).toContain(
      `${join(s.cfg, "workers.toml")}:4: workers[0].total_slots: expected number, got "x"`,
    );
    const json = JSON.parse(s.run("config", "validate", "--format", "json").out);
    expect(json.ok).toBe(false);
    expect(json.issues[0]).toMatchObject({ line: 4, key: "workers[0].total_slots" });
  });

  test("init creates the project file once; show reports the project root", () => {
    const s = sandbox();
    mkdirSync(join(s.proj, ".git"));
    expect(s.run("config", "init").code).toBe(0);
    expect(existsSync(join(s.proj, ".rch", "config.toml"))).toBe(true);
    const again = s.run("config", "init");
    expect(again.code).toBe(1);
    expect(again.err).toContain("already exists");
    const shown = JSON.parse(s.run("--format", "json", "config", "show").out);
    expect(shown.projectRoot).toEqual({ root: s.proj, kind: "git" });
    expect(shown.config.compilation.confidence_threshold).toBe(0.85);
  });
});

describe("global flags", () => {
  test("--quiet silences normal output but not errors", () => {
    const s = sandbox();
    const quiet = s.run("--quiet", "config", "set", "general.log_level", "debug");
    expect(quiet.code).toBe(0);
    expect(quiet.out).toBe("");
    expect(s.run("config", "set", "general.log_level", "loud", "--quiet").err).toContain("error:");
  });

  test("unknown commands exit 2 with usage", () => {
    const r = sandbox().run("bogus");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'bogus'");
  });
});

describe("rch classify", () => {
  test("text output explains each simple command", () => {
    const r = sandbox().run("classify", "cd app && make install && cargo test 2>&1 | tail");
    expect(r.code).toBe(0);
    expect(r.out).toContain("decision:  offload");
    expect(r.out).toContain(`rewritten: cd app && make install && '${rch}' exec -- cargo test 2>&1 | tail`);
    expect(r.out).toContain("target 'install' is in the keep-local list");
  });

  test("JSON output carries the verdicts", () => {
    const r = JSON.parse(sandbox().run("classify", "--format", "json", "sudo make").out);
    expect(r.kind).toBe("local");
    expect(r.commands[0].reason).toContain("sudo");
  });

  test("--threshold overrides the configured threshold", () => {
    const r = JSON.parse(
      sandbox().run("classify", "--format", "json", "--threshold", "0.99", "cargo build").out,
    );
    expect(r.kind).toBe("local");
    expect(r.commands[0].reason).toContain("below the threshold 0.99");
  });
});
