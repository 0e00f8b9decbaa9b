// Shared pieces of the shim tests: a scratch dir per test, shims installed by the real binary,
// a fake "real tool" that reports exactly what it got, and runs with a deadline (own process
// group, killed whole when it passes).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Outcome, run, type SpawnOptions } from "../exec-scenarios/proc.ts";
import { ensureRchBuilt } from "../support/rch-binary.ts";

export type { Outcome };

/** Absolute: the runs get a PATH of their own. */
export const SHELLS = ["dash", "bash"].map((sh) => {
  const p = Bun.which(sh);
  if (!p) throw new Error(`${sh} is not installed`);
  return p;
});

/** A scratch dir removed by `dispose` (call it in afterEach/finally). */
export class Scratch {
  readonly root = mkdtempSync("/tmp/rch-shim-test-");

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  dir(...parts: string[]): string {
    const d = this.path(...parts);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** An executable script at dir/name. */
  script(dir: string, name: string, body: string): string {
    const p = join(this.dir(dir), name);
    writeFileSync(p, `#!/bin/sh\n${body}`);
    chmodSync(p, 0o755);
    return p;
  }

  /**
   * A stand-in for the real tool: prints `pid=<its pid>`, then each argument NUL-terminated
   * between `<args>` lines, then RCH_NESTED, PATH and BUN_JSC_useJIT (set only for rch's short
   * runs, never for a build) as it sees them; exits with $FAKE_EXIT.
   * FAKE_PIDFILE=/file: writes its pid there and waits (exec sleep) for a signal instead.
   */
  fakeTool(dir: string, name: string): string {
    return this.script(
      dir,
      name,
      [
        'echo "pid=$$"',
        'if [ -n "$FAKE_PIDFILE" ]; then echo "$$" > "$FAKE_PIDFILE"; exec sleep 600; fi',
        "echo '<args>'",
        "for a do printf '%s\\0' \"$a\"; done",
        "echo; echo '</args>'",
        'echo "nested=$RCH_NESTED"',
        'echo "path=$PATH"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
        'echo "jit=${BUN_JSC_useJIT-unset}"',
        'exit "$FAKE_EXIT"',
        "",
      ].join("\n"),
    );
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** What the fake tool reported. */
export function fakeReport(stdout: string): {
  pid: number;
  args: string[];
  nested: string;
  path: string;
  jit: string;
} {
  const pid = Number(/^pid=(\d+)$/m.exec(stdout)?.[1]);
  const a = stdout.indexOf("<args>\n");
  const b = stdout.indexOf("\n</args>");
  if (a < 0 || b < 0) throw new Error(`not the fake tool's output:\n${stdout}`);
  const raw = stdout.slice(a + "<args>\n".length, b);
  const args = raw === "" ? [] : raw.split("\0").slice(0, -1);
  return {
    pid,
    args,
    nested: /^nested=(.*)$/m.exec(stdout.slice(b))?.[1] ?? "",
    path: /^path=(.*)$/m.exec(stdout.slice(b))?.[1] ?? "",
    jit: /^jit=(.*)$/m.exec(stdout.slice(b))?.[1] ?? "",
  };
}

/** An environment with nothing of the caller's rch settings: config, cache and state in scratch. */
export function isolatedEnv(
  s: Scratch,
  path: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: path,
    HOME: s.dir("home"),
    LANG: "C.UTF-8",
    FAKE_EXIT: "0", // the fake tool's exit status
    RCH_CONFIG_DIR: s.dir("cfg"),
    RCH_CACHE_DIR: s.dir("cache"),
    RCH_STATE_DIR: s.dir("state"),
    ...extra,
  };
}

export function runIn(argv: string[], opts: SpawnOptions): Promise<Outcome> {
  return run(argv, { timeoutMs: 30_000, ...opts });
}

/** `rch ARGS…` with the compiled binary. */
export async function rch(args: string[], opts: SpawnOptions): Promise<Outcome> {
  return runIn([await ensureRchBuilt(), ...args], opts);
}

/** Installs the shims with the real binary into dir. */
export async function installShims(s: Scratch, dir: string): Promise<string> {
  const r = await rch(["shim", "install", dir], { cwd: s.root, env: isolatedEnv(s, "/usr/bin:/bin") });
  if (r.code !== 0) throw new Error(`rch shim install failed (${r.code}): ${r.stderr}${r.stdout}`);
  return dir;
}
