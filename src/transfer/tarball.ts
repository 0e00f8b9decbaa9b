// The few changed files of an incremental sync, as one tar stream (POSIX/pax format: mtimes keep
// their nanoseconds, which make and cargo compare). Made by the system tar from a NUL-separated
// list; the worker's tar unpacks it inside the same ssh round trip that runs the build.
import { stopGroup } from "../ssh/proc.ts";

export type TarResult = { ok: true; data: Uint8Array } | { ok: false; reason: string };

const TAR_TIMEOUT_MS = 30_000;

export async function makeTar(root: string, paths: readonly string[]): Promise<TarResult> {
  const argv = ["tar", "-c", "-f", "-", "--format=posix", "--pax-option=delete=atime,delete=ctime"];
  argv.push("-C", root, "--no-recursion", "--null", "-T", "-");
  const proc = Bun.spawn(argv, {
    stdin: Buffer.from(`${paths.join("\0")}\0`),
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
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
