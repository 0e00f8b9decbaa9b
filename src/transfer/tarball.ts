// The few changed files of an incremental sync, as one tar stream (POSIX/pax format: mtimes keep
// their nanoseconds, which make and cargo compare). Made by the system tar from a NUL-separated
// list; the worker's tar unpacks it inside the same ssh round trip that runs the build.
import { stopGroup } from "../ssh/proc.ts";

export type TarResult = { ok: true; data: Uint8Array } | { ok: false; reason: string };

const TAR_TIMEOUT_MS = 30_000;

export async function makeTar(root: string, paths: readonly string[]): Promise<TarResult> {
  const argv = ["tar", "-c", "-f", "-", "--format=posix", "--pax-option=delete=atime,delete=ctime"];
  argv.push("-C", root, "--no-recursion", "--null", "-T", "-");
  let proc: ReturnType<typeof spawnTar>;
  try {
    proc = spawnTar(argv, paths);
  } catch (e) {
    return { ok: false, reason: `tar could not be started: ${(e as Error).message}` };
  }
  const timer = setTimeout(() => void stopGroup(proc, 1000), TAR_TIMEOUT_MS);
  try {
    const [data, err, code] = await Promise.all([
      new Response(proc.stdout).bytes(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code === 0) return { ok: true, data };
    return { ok: false, reason: `tar exited ${code}: ${err.trim().split("\n")[0] ?? ""}` };
  } finally {
    clearTimeout(timer);
  }
}

/** The list goes in as a buffer Bun writes itself: a tar that exits without reading it costs
 * nothing but its exit code (tested with a tar that exits at once). */
function spawnTar(argv: string[], paths: readonly string[]) {
  return Bun.spawn(argv, {
    stdin: Buffer.from(`${paths.join("\0")}\0`),
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
}
