// rch hook as a process, and the settings.json command exactly as installed (sh prefilter → rch).
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build as buildCorpus, nonBuild as nonBuildCorpus } from "../../bench/corpus.ts";
import { classify, FAMILY_RULES } from "../../src/classify/index.ts";
import { PREFILTER_KEYWORDS, prefilterCommand } from "../../src/hook/prefilter.ts";
import { ensureRchBuilt } from "../support/rch-binary.ts";

let rch: string;
const home = mkdtempSync(join(tmpdir(), "rch-hook-proc-"));

beforeAll(async () => {
  rch = await ensureRchBuilt();
});

function payload(command: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    session_id: "s",
    transcript_path: "/tmp/t.jsonl",
    cwd: "/tmp",
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command, description: "d", timeout: 120000 },
    tool_use_id: "toolu_1",
    ...extra,
  });
}

function run(argv: string[], stdin: string | Uint8Array) {
  const started = performance.now();
  const r = Bun.spawnSync(argv, {
    stdin: Buffer.from(stdin),
    env: { HOME: home, PATH: "/usr/bin:/bin" },
    timeout: 20_000,
  });
  return {
    code: r.exitCode,
    out: r.stdout.toString(),
    err: r.stderr.toString(),
    ms: performance.now() - started,
  };
}

describe("rch hook: bad input of any kind → no output, exit 0", () => {
  const bad: [string, string | Uint8Array][] = [
    ["empty", ""],
    ["not JSON", "cargo build"],
    ["truncated JSON", payload("cargo build").slice(0, 40)],
    ["binary", new Uint8Array(4096).map((_, i) => (i * 37) % 256)],
    ["10 MB", `{"tool_name":"Bash","tool_input":{"command":"cargo build ${"x".repeat(10 * 1024 * 1024)}"}}`],
    ["wrong types", '{"tool_name":"Bash","tool_input":{"command":["cargo","build"]}}'],
    ["other tool", payload("cargo build", { tool_name: "Write" })],
    ["other event", payload("cargo build", { hook_event_name: "PostToolUse" })],
    ["JSON array", "[1,2,3]"],
    ["non-build Bash", payload("git status")],
  ];
  for (const [name, input] of bad) {
    test(name, () => {
      const r = run([rch, "hook"], input);
      expect(r.code).toBe(0);
      expect(r.out).toBe("");
      expect(r.err).toBe("");
      expect(r.ms).toBeLessThan(3000);
    });
  }
});

describe("rch hook: builds", () => {
  test("rewrites with the absolute rch path and keeps tool_input", () => {
    const r = run([rch, "hook"], payload("cargo build --release 2>&1 | tail -5"));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        updatedInput: {
          command: `'${rch}' exec -- cargo build --release 2>&1 | tail -5`,
          description: "d",
          timeout: 120000,
        },
      },
    });
  });

  test("RCH_BYPASS turns the hook off", () => {
    const r = Bun.spawnSync([rch, "hook"], {
      stdin: Buffer.from(payload("make")),
      env: { HOME: home, RCH_BYPASS: "1" },
    });
    expect(r.stdout.toString()).toBe("");
  });

  test("a broken config file never breaks the hook", () => {
    const cfg = mkdtempSync(join(tmpdir(), "rch-badcfg-"));
    writeFileSync(join(cfg, "config.toml"), "[compilation\nconfidence_threshold = ");
    const r = Bun.spawnSync([rch, "hook"], {
      stdin: Buffer.from(payload("make")),
      env: { HOME: home, RCH_CONFIG_DIR: cfg },
    });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString()).hookSpecificOutput.updatedInput.command).toContain("exec -- make");
  });
});

describe("installed prefilter", () => {
  test("every family command name is a prefilter keyword", () => {
    const names = FAMILY_RULES.flatMap((r) => r.names);
    for (const n of names) expect(PREFILTER_KEYWORDS as readonly string[]).toContain(n);
  });

  test("lets through every line the classifier offloads, through the real rch", () => {
    const offloaded = buildCorpus.filter((l) => classify(l).kind === "offload");
    expect(offloaded.length).toBeGreaterThan(200);
    const cmd = prefilterCommand([rch]);
    for (const line of offloaded) {
      const r = run(["/bin/sh", "-c", cmd], `${payload(line)}\n`);
      expect({ line, out: r.out.includes("exec -- ") }).toEqual({ line, out: true });
    }
  });

  test("does not start rch for common non-build lines", () => {
    // A stand-in rch that leaves a trace shows whether the prefilter exec'd it.
    const dir = mkdtempSync(join(tmpdir(), "rch-prefilter-"));
    const fake = join(dir, "rch");
    writeFileSync(fake, "#!/bin/sh\necho STARTED\n");
    chmodSync(fake, 0o755);
    const cmd = prefilterCommand([fake]);
    const started = nonBuildCorpus.filter((l) =>
      run(["/bin/sh", "-c", cmd], `${payload(l)}\n`).out.includes("STARTED"),
    );
    // Lines that merely mention a build word as an argument may pass; plain ones must not.
    for (const l of ["git status", "ls -la", "rg TODO src", "cat README.md", "npm install"]) {
      expect(started).not.toContain(l);
    }
    expect(started.length / nonBuildCorpus.length).toBeLessThan(0.25);
  });
});
