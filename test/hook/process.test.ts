// rch hook as a process, and the settings.json command exactly as installed (sh prefilter → rch).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build as buildCorpus, nonBuild as nonBuildCorpus } from "../../bench/corpus.ts";
import { classify, DEFAULT_THRESHOLD, FAMILY_RULES } from "../../src/classify/index.ts";
import { claude } from "../../src/hook/agents/claude.ts";
import { decide } from "../../src/hook/decide.ts";
import { parseHookInput } from "../../src/hook/input.ts";
import { HOOK_MARKER, PREFILTER_KEYWORDS, prefilterCommand } from "../../src/hook/prefilter.ts";
import { ensureRchBuilt } from "../support/rch-binary.ts";

// Each test starts a few compiled rch processes (≈10–50 ms each here; 3–4× that on slower machines).
setDefaultTimeout(60_000);

let rch: string;
/** Every scratch dir of this file, removed in afterAll whatever the tests did. */
const scratch = mkdtempSync(join(tmpdir(), "rch-hook-proc-"));
const home = join(scratch, "home");
mkdirSync(home);

beforeAll(async () => {
  rch = await ensureRchBuilt(); // may build dist/rch: far beyond a test's budget on a slow machine
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));
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
  test("a hook registered for an agent this rch does not know prints nothing", () => {
    const r = run([rch, "hook", "--agent", "no-such-agent"], payload("cargo build"));
    expect({ code: r.code, out: r.out, err: r.err }).toEqual({ code: 0, out: "", err: "" });
  });
  for (const [name, input] of bad) {
    test(name, () => {
      const r = run([rch, "hook"], input);
      expect(r.code).toBe(0);
      expect(r.out).toBe("");
      expect(r.err).toBe("");
      // No hang, no slow read of the 10 MB: well inside the 10 s hook timeout rch installs
      // (typical here: 30–200 ms).
      expect(r.ms).toBeLessThan(5000);
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

  test("a payload longer than one read, multi-byte characters across the chunk edges: read whole", () => {
    // 150,000 UTF-8 bytes: stdin is read in 64 KiB steps into a growing buffer and decoded once.
    const description = "é€".repeat(30_000);
    const r = run(
      [rch, "hook"],
      JSON.stringify(JSON.parse(payload("make -j4")), (k, v) => (k === "description" ? description : v)),
    );
    expect(r.code).toBe(0);
    const input = JSON.parse(r.out).hookSpecificOutput.updatedInput;
    expect(input.command).toBe(`'${rch}' exec -- make -j4`);
    expect(input.description).toBe(description);
  });

  test("a byte-order mark before the JSON: not JSON, no output (the mark is kept, not skipped)", () => {
    const r = run([rch, "hook"], `\uFEFF${payload("make")}`);
    expect({ code: r.code, out: r.out }).toEqual({ code: 0, out: "" });
  });

  test("RCH_BYPASS turns the hook off", () => {
    const r = Bun.spawnSync([rch, "hook"], {
      stdin: Buffer.from(payload("make")),
      env: { HOME: home, RCH_BYPASS: "1" },
    });
    expect(r.stdout.toString()).toBe("");
  });

  test("a broken config file never breaks the hook", () => {
    const cfg = mkdtempSync(join(scratch, "badcfg-"));
    writeFileSync(join(cfg, "config.toml"), "[compilation\nconfidence_threshold = ");
    const r = Bun.spawnSync([rch, "hook"], {
      stdin: Buffer.from(payload("make")),
      env: { HOME: home, RCH_CONFIG_DIR: cfg },
    });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString()).hookSpecificOutput.updatedInput.command).toContain("exec -- make");
  });
});

/** The hook command `rch hook install` writes to settings.json (what Claude Code runs). */
function installedHookCommand(): string {
  const h = mkdtempSync(join(scratch, "install-"));
  const r = Bun.spawnSync([rch, "hook", "install"], {
    env: { HOME: h, PATH: "/usr/bin:/bin" },
    timeout: 20_000,
  });
  expect(r.exitCode).toBe(0);
  const settings = JSON.parse(readFileSync(join(h, ".claude", "settings.json"), "utf8"));
  const cmds: string[] = settings.hooks.PreToolUse.flatMap((e: { hooks: { command: string }[] }) =>
    e.hooks.map((x) => x.command),
  );
  const ours = cmds.filter((c) => c.startsWith(HOOK_MARKER));
  expect(ours).toHaveLength(1);
  return ours[0]!;
}

/**
 * Runs `installed` once per payload inside ONE /bin/sh (one process instead of hundreds), with its
 * `exec <rch> hook` replaced by a shell function that records the stdin rch would have read.
 * Everything else — the `read`, the keyword patterns, the here-document — is the installed text.
 * Returns, per payload, what would have reached rch (undefined: the prefilter kept rch out).
 */
function throughPrefilter(installed: string, payloads: string[]): (string | undefined)[] {
  const at = installed.indexOf("exec ");
  const end = installed.indexOf(" hook <<");
  // The shape this substitution relies on; if it changes, this fails rather than testing less.
  expect({ at: at > 0, end: end > at, once: installed.indexOf("exec ", at + 1) === -1 }).toEqual({
    at: true,
    end: true,
    once: true,
  });
  const recording = `${installed.slice(0, at)}rch_passed${installed.slice(end + " hook".length)}`;
  const script = [
    `rch_passed() { IFS= read -r rch_in; printf 'P%s\\n' "$rch_in"; }`,
    "n=0",
    `while [ "$n" -lt ${payloads.length} ]; do`,
    "n=$((n + 1))",
    recording,
    "printf 'E\\n'",
    "done",
  ].join("\n");
  const r = Bun.spawnSync(["/bin/sh", "-c", script], {
    stdin: Buffer.from(payloads.map((p) => `${p}\n`).join("")),
    env: { PATH: "/usr/bin:/bin" },
    timeout: 60_000,
  });
  expect({ code: r.exitCode, err: r.stderr.toString() }).toEqual({ code: 0, err: "" });
  const out: (string | undefined)[] = [];
  let passed: string | undefined;
  for (const line of r.stdout.toString().split("\n").slice(0, -1)) {
    if (line.startsWith("P")) passed = line.slice(1);
    else {
      expect(line).toBe("E");
      out.push(passed);
      passed = undefined;
    }
  }
  expect(out).toHaveLength(payloads.length);
  return out;
}

/** A deterministic sample of lines that covers every keyword and every quoting character. */
function sample(lines: string[]): string[] {
  const picked = new Set<string>([lines[0]!, lines.at(-1)!]);
  for (const k of PREFILTER_KEYWORDS) {
    const word = new RegExp(`(^|[^A-Za-z0-9_.+-])${k.replace(/\+/g, "\\+")}($|[^A-Za-z0-9_.+-])`);
    const first = lines.find((l) => word.test(l));
    if (first) picked.add(first);
  }
  for (const l of lines) if (/[^\x20-\x7e]|['"\\$\t`]/.test(l)) picked.add(l);
  return [...picked];
}

describe("installed prefilter", () => {
  test("every family command name is a prefilter keyword", () => {
    const names = FAMILY_RULES.flatMap((r) => r.names);
    for (const n of names) expect(PREFILTER_KEYWORDS as readonly string[]).toContain(n);
  });

  test("the installed command is the prefilter in front of this rch", () => {
    expect(installedHookCommand()).toBe(prefilterCommand([rch]));
  });

  test("lets through every line the classifier offloads, through the real rch", () => {
    const offloaded = buildCorpus.filter((l) => classify(l).kind === "offload");
    expect(offloaded.length).toBeGreaterThan(200);
    const installed = installedHookCommand();
    // Every line: the installed prefilter hands rch the payload byte for byte, and rch's hook
    // decision on exactly that input is a rewrite.
    const payloads = offloaded.map((l) => payload(l));
    const reached = throughPrefilter(installed, payloads);
    const prefix = `'${rch}' exec -- `;
    for (const [i, line] of offloaded.entries()) {
      expect({ line, reached: reached[i] }).toEqual({ line, reached: payloads[i] });
      const parsed = parseHookInput(reached[i]!, claude);
      if (!parsed.ok) throw new Error(`${line}: ${parsed.reason}`);
      const d = decide(parsed.call, {
        prefix,
        threshold: DEFAULT_THRESHOLD,
        permit: () => ({ rewrite: true, allow: false }),
      });
      expect({ line, kind: d.kind }).toEqual({ line, kind: "rewrite" });
    }
    // A sample through the unmodified command and the compiled binary: the exec, the binary's
    // own config loading and reply. (All 270+ lines would be 540 process starts: ~11 s on a slow
    // machine, for what the loop above already shows line by line.)
    const some = sample(offloaded);
    expect(some.length).toBeGreaterThan(15);
    for (const line of some) {
      const r = run(["/bin/sh", "-c", installed], `${payload(line)}\n`);
      expect({ line, code: r.code, err: r.err }).toEqual({ line, code: 0, err: "" });
      const want = classify(line, { prefix });
      if (want.kind !== "offload") throw new Error(`not offloaded any more: ${line}`);
      const reply = JSON.parse(r.out);
      expect({ line, command: reply.hookSpecificOutput.updatedInput.command }).toEqual({
        line,
        command: want.rewritten,
      });
    }
  });

  test("does not start rch for common non-build lines", () => {
    const reached = throughPrefilter(
      installedHookCommand(),
      nonBuildCorpus.map((l) => payload(l)),
    );
    const started = nonBuildCorpus.filter((_, i) => reached[i] !== undefined);
    // Lines that merely mention a build word as an argument may pass; plain ones must not.
    for (const l of ["git status", "ls -la", "rg TODO src", "cat README.md", "npm install"]) {
      expect(started).not.toContain(l);
    }
    expect(started.length / nonBuildCorpus.length).toBeLessThan(0.25);
    // The recording stand-in is faithful: the same command with a real program behind it starts
    // it exactly for those lines (a few of each kind, to keep process starts low).
    const fake = join(mkdtempSync(join(scratch, "prefilter-")), "rch");
    writeFileSync(fake, '#!/bin/sh\necho "STARTED jit=$BUN_JSC_useJIT"\n');
    chmodSync(fake, 0o755);
    const cmd = prefilterCommand([fake]);
    const check = [...started.slice(0, 3), ...nonBuildCorpus.filter((l) => !started.includes(l)).slice(0, 3)];
    for (const l of check) {
      const out = run(["/bin/sh", "-c", cmd], `${payload(l)}\n`).out;
      expect({ l, started: out.includes("STARTED") }).toEqual({ l, started: started.includes(l) });
    }
    // rch starts with the JIT off (shell/shortRun.ts), in the agents' shells alike.
    for (const shell of ["/bin/sh", "/bin/bash"])
      expect(run([shell, "-c", cmd], `${payload("cargo build")}\n`).out).toBe("STARTED jit=0\n");
  });
});
