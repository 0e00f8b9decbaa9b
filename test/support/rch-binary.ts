// Tests that run rch as a process use the compiled binary, exactly what users install. It is
// rebuilt once per test process when any source file is newer than it.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "../..");
export const rchBin = join(repoRoot, "dist", "rch");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let built: Promise<string> | undefined;

export function ensureRchBuilt(): Promise<string> {
  built ??= (async () => {
    if (existsSync(rchBin) && statSync(rchBin).mtimeMs >= newestSource(join(repoRoot, "src"))) return rchBin;
    const proc = Bun.spawn([process.execPath, "run", "build"], {
      cwd: repoRoot,
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`bun run build failed (${code}):\n${err}`);
    return rchBin;
  })();
  return built;
}
