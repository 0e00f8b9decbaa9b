// What the benches of whole commands share: one timed run of a command (wall time, its CPU, its
// stderr; a failure throws, so no figure comes from a broken run) and the median of samples.

export async function timed(argv: string[], cwd: string, env: Record<string, string>) {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { cwd, env, stdout: "ignore", stderr: "pipe" });
  const err = await new Response(p.stderr).text();
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  const ru = p.resourceUsage();
  const cpuMs = ru ? (Number(ru.cpuTime.user) + Number(ru.cpuTime.system)) / 1000 : Number.NaN;
  return { ms, cpuMs, stderr: err };
}

/** The middle sample (the upper one of the two middles for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
