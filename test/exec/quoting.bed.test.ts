// Every word crosses ssh and the remote login shell + sh exactly as given: random argv with
// quotes, spaces, newlines, `$(`, `;`, globs and unicode round-trip byte for byte (fast-check,
// against a real sshd from the test bed).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { defaultConfig } from "../../src/config/schema.ts";
import { sshTarget } from "../../src/ssh/options.ts";
import { runRemote } from "../../src/ssh/remote.ts";
import { workerConfig } from "../bed/client.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { run } from "../bed/proc.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureBinary, type RchEnv, rchEnv } from "./bedEnv.ts";

let fleet: Fleet;
let env: RchEnv;
let rch: string;
const savedEnv = {
  RCH_CACHE_DIR: process.env.RCH_CACHE_DIR,
  RCH_SSH_CONFIG: process.env.RCH_SSH_CONFIG,
};

beforeAll(async () => {
  [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["cc"] }), ensureBinary()]);
  env = rchEnv(fleet);
}, 180_000);
afterAll(async () => {
  // target() points rch's ssh layer (which reads process.env) at this file's dirs; test files
  // share one process, so the next file must get the environment back as it was.
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await cleanUp(
    () => env?.cleanup(),
    () => fleet?.stop(),
  );
});

const nasty = fc.constantFrom(
  "'",
  '"',
  "\\",
  "$(",
  "`",
  ";",
  " ",
  "\n",
  "\t",
  "*",
  "~",
  "!",
  "$HOME",
  "&&",
  "|",
  "é✓",
  "%s",
  "-n",
  "'\\''",
);
const word = fc
  .array(fc.oneof(nasty, fc.string({ unit: "binary", maxLength: 6 })), { maxLength: 6 })
  .map((parts) => parts.join("").replaceAll("\0", ""));
const argv = fc.array(word, { minLength: 1, maxLength: 6 });

/** The bed's worker as rch sees it (sshTarget reads RCH_CACHE_DIR / RCH_SSH_CONFIG from the env). */
function target(e: RchEnv) {
  process.env.RCH_CACHE_DIR = e.env.RCH_CACHE_DIR;
  process.env.RCH_SSH_CONFIG = e.env.RCH_SSH_CONFIG;
  const w = fleet.workers[0]!;
  return sshTarget(workerConfig(w, { total_slots: 1, priority: 1, min_free_gb: 10 }), defaultConfig().ssh);
}

test("remoteCommand: argv round-trips through ssh + login shell + sh -c", async () => {
  const t = target(env);
  await fc.assert(
    fc.asyncProperty(argv, async (words) => {
      const r = await runRemote(t, `printf '%s\\0' "$@"`, words, 10_000);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\0").slice(0, -1)).toEqual(words);
    }),
    { numRuns: 80 },
  );
}, 120_000);

test("rch exec: argv and NAME=value words reach the remote command exactly", async () => {
  const cwd = join(env.dir, "proj");
  mkdirSync(join(cwd, ".git"), { recursive: true }); // a project root of its own
  await fc.assert(
    fc.asyncProperty(argv, word, async (words, value) => {
      const r = await run(
        [rch, "exec", "--", `RCH_Q=${value}`, "sh", "-c", `printf '%s\\0' "$RCH_Q" "$@"`, "sh", ...words],
        {
          cwd,
          env: env.env,
          timeoutMs: 20_000,
        },
      );
      expect(r.stderr).toBe(""); // no fallback line: it ran on the worker
      expect(r.code).toBe(0);
      expect(r.stdout.split("\0").slice(0, -1)).toEqual([value, ...words]);
    }),
    { numRuns: 25 },
  );
}, 120_000);
