// The rch under test is the compiled binary agents run (dist/rch), not the sources: the hook
// rewrites to that path, and `bun build --compile` can break things the sources don't show.
// It is rebuilt once per test process when any source is newer than it, then snapshotted, so a
// rebuild of dist/rch by someone else in the middle of a run cannot mix two versions.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "./proc.ts";

export const REPO = join(import.meta.dir, "..", "..");
export const BUN = join(REPO, "node_modules", ".bin", "bun");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(bin: string): boolean {
  if (!existsSync(bin)) return true;
  const inputs = [join(REPO, "package.json"), join(REPO, "bun.lock"), join(REPO, "package-lock.json")]
    .filter((f) => existsSync(f))
    .map((f) => statSync(f).mtimeMs);
  return Math.max(newestMtime(join(REPO, "src")), ...inputs) > statSync(bin).mtimeMs;
}

async function build(): Promise<string> {
  // RCH_SCENARIO_BIN: test another binary (e.g. a release build) without rebuilding.
  const forced = process.env.RCH_SCENARIO_BIN;
  if (forced) return forced;
  const bin = join(REPO, "dist", "rch");
  const env = { PATH: `${join(REPO, "node_modules", ".bin")}:/usr/local/bin:/usr/bin:/bin`, HOME: "/root" };
  if (isStale(bin)) {
    const r = await run([BUN, "run", "build"], { cwd: REPO, env, timeoutMs: 180_000 });
    if (r.code !== 0) throw new Error(`\`bun run build\` failed (${r.code}):\n${r.stderr || r.stdout}`);
  }
  // dist/rch may be caught mid-write by someone else's build: retry until a copy runs.
  for (let attempt = 1; ; attempt++) {
    const copy = snapshotOf(bin);
    const v = await run([copy, "--version"], { cwd: REPO, env, timeoutMs: 10_000 });
    if (v.code === 0) return copy;
    rmSync(dirname(copy), { recursive: true, force: true });
    if (attempt >= 5) throw new Error(`${bin} does not run (\`--version\` exited ${v.code}): ${v.stderr}`);
    await Bun.sleep(2000);
  }
}

const SNAPSHOTS = "/tmp/rch-scenario-bin";

/** A private copy of `bin`, keyed by its mtime and size (reused while dist/rch is unchanged). */
function snapshotOf(bin: string): string {
  const st = statSync(bin);
  const key = `${Math.floor(st.mtimeMs)}-${st.size}`;
  const copy = join(SNAPSHOTS, key, "rch");
  if (existsSync(copy)) return copy;
  mkdirSync(join(SNAPSHOTS, key), { recursive: true });
  const tmp = `${copy}.${process.pid}.tmp`;
  copyFileSync(bin, tmp);
  renameSync(tmp, copy); // atomic: a concurrent test process sees the whole file or none
  // Old snapshots: after an hour no test process still runs them.
  for (const old of readdirSync(SNAPSHOTS)) {
    const dir = join(SNAPSHOTS, old);
    if (old !== key && Date.now() - statSync(dir).mtimeMs > 3_600_000)
      rmSync(dir, { recursive: true, force: true });
  }
  return copy;
}

let built: Promise<string> | undefined;

/** Path of an up-to-date rch binary (built at most once per test process). */
export function rchBinary(): Promise<string> {
  built ??= build();
  return built;
}
