// `rch exec` inside Codex's own sandbox, without the agent loop: `codex sandbox` runs a command
// under the bubblewrap + seccomp policy `codex exec` uses. No daemon, no workers reachable, and
// rch must neither wait nor try to start rchd: the build runs here, its exit code intact, with one
// stderr line that names the sandbox and how to allow sockets.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRchBuilt } from "../../support/rch-binary.ts";
import { runProcess } from "../process.ts";
import { ensureCodex } from "./install.ts";
import { trackCodexTmp } from "./run-codex.ts";

setDefaultTimeout(60_000);
let codexBin: string;
let rch: string;
let base: string;
const removeCodexTmp = trackCodexTmp();

beforeAll(async () => {
  [codexBin, rch] = await Promise.all([ensureCodex(), ensureRchBuilt()]);
  base = mkdtempSync(join(tmpdir(), "rch-e2e-codex-sandbox-"));
  mkdirSync(join(base, "cfg"));
  mkdirSync(join(base, "project"));
  mkdirSync(join(base, "state"));
  // A workstation where rch ran before: the client id exists (a read-only sandbox could not make it).
  writeFileSync(join(base, "state", "client-id"), "0123456789abcdef\n");
  writeFileSync(
    join(base, "cfg", "workers.toml"),
    '[[workers]]\nid = "w1"\nhost = "127.0.0.1"\nuser = "nobody"\n',
  );
  writeFileSync(join(base, "project", "Makefile"), "hello:\n\t@echo hello-from-make\nfail:\n\t@exit 3\n");
}, 300_000);

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  removeCodexTmp();
});

test.each(["read-only", "workspace-write"])(
  "%s: local at once, one line, exit code kept, no daemon started",
  async (mode) => {
    const env = {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: base,
      CODEX_HOME: join(base, `codex-home-${mode}`),
      RCH_CONFIG_DIR: join(base, "cfg"),
      RCH_STATE_DIR: join(base, "state"),
      RCH_CACHE_DIR: join(base, "cache"),
      RCH_MIN_LOCAL_TIME_MS: "0",
    };
    mkdirSync(env.CODEX_HOME);
    const sandbox = [codexBin, "sandbox", "-c", `sandbox_mode="${mode}"`, "--", rch, "exec", "--"];
    const cwd = join(base, "project");
    const ok = await runProcess([...sandbox, "make", "hello"], { cwd, env, timeoutMs: 30_000 });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("hello-from-make\n");
    const lines = ok.stderr.split("\n").filter((l) => l.startsWith("rch: "));
    expect(lines, ok.stderr).toHaveLength(1);
    expect(lines[0]).toContain("rch: running locally: the sandbox forbids sockets (connect to rchd");
    expect(lines[0]).toContain("--sandbox danger-full-access");
    const failed = await runProcess([...sandbox, "make", "fail"], { cwd, env, timeoutMs: 30_000 });
    expect(failed.exitCode, failed.stderr).toBe(2);
    // No start attempt: a daemon start would have written its log.
    expect(existsSync(join(base, "state", "rchd.log"))).toBe(false);
    expect(existsSync(join(base, "cache", "rchd.log"))).toBe(false);
  },
);
