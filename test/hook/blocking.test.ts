// A config file that would block (a FIFO where ~/.config/rch/config.toml should be) must not
// hang the hook: it answers at once, with no output — the command runs as written, because
// what the user configured (enabled = false?) cannot be known.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRchBuilt } from "../support/rch-binary.ts";

let rch: string;
const home = mkdtempSync(join(tmpdir(), "rch-hook-block-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
beforeAll(async () => {
  rch = await ensureRchBuilt();
}, 240_000);

const payload = JSON.stringify({
  session_id: "s",
  cwd: "/tmp",
  permission_mode: "default",
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: { command: "cargo build", timeout: 120000 },
});

function hook(): { code: number | null; out: string; killed: boolean } {
  const r = Bun.spawnSync([rch, "hook"], {
    stdin: Buffer.from(payload),
    env: { HOME: home, PATH: "/usr/bin:/bin" },
    timeout: 20_000, // a hang shows as a kill, not as a stuck suite
  });
  return { code: r.exitCode, out: r.stdout.toString(), killed: r.exitedDueToTimeout === true };
}

test("without a config the build line is rewritten (the control case)", () => {
  const r = hook();
  expect(r.killed).toBe(false);
  expect(r.out).toContain("exec -- cargo build");
});

test("config.toml is a FIFO: exit 0 at once, no output", () => {
  const cfg = join(home, ".config", "rch");
  mkdirSync(cfg, { recursive: true });
  const mk = Bun.spawnSync(["mkfifo", join(cfg, "config.toml")]);
  expect(mk.exitCode).toBe(0);
  const r = hook();
  expect(r.killed).toBe(false);
  expect(r.code).toBe(0);
  expect(r.out).toBe("");
  rmSync(join(cfg, "config.toml"));
  writeFileSync(join(cfg, "config.toml"), "[general]\nenabled = true\n");
  expect(hook().out).toContain("exec -- cargo build");
});
