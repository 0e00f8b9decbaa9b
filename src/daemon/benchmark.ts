// `rch workers benchmark`: a short, repeatable CPU + compile measurement run on the worker itself
// (timed there with `date +%s%N`, so the SSH round trip does not count):
//   compile: `cc -O2 -c` of a generated, always identical 100-function C file
//   cpu:     a POSIX-sh arithmetic loop of 100,000 iterations
// each three times, keeping the best (least disturbed) run. ~1.5 s per worker.
// speed = 100 / (0.5 × compile/400 ms + 0.5 × cpu/100 ms): 100 ≈ one core of the 2-vCPU
// EPYC VM rch is developed on; 200 = twice as fast. Without a C compiler only the loop counts.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { describeFailure, runRemote } from "./ssh.ts";
import type { SpeedRecord } from "./store.ts";

export const REF_COMPILE_MS = 400;
export const REF_CPU_MS = 100;

const script = `set -e
d=$(mktemp -d "\${TMPDIR:-/tmp}/rch-bench.XXXXXX")
trap 'rm -rf "$d"' EXIT
awk 'BEGIN { for (i = 0; i < 100; i++) printf "int f%d(int x){int s=%d;for(int i=0;i<x;i++){s+=i*%d^(s>>3);if(s%%7==%d)s-=i;}return s;}\\n", i, i, i+1, i%7; printf "int main(void){int t=0;"; for (i = 0; i < 100; i++) printf "t+=f%d(%d);", i, i; print "return t&1;}" }' > "$d/b.c"
cc=; command -v cc >/dev/null 2>&1 && cc=1
bc=; bl=
for r in 1 2 3; do
  t0=$(date +%s%N)
  if [ -n "$cc" ]; then cc -O2 -c -o "$d/b.o" "$d/b.c"; fi
  t1=$(date +%s%N)
  i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done
  t2=$(date +%s%N)
  c=$(( (t1 - t0) / 1000 )); l=$(( (t2 - t1) / 1000 ))
  if [ -z "$bc" ] || [ "$c" -lt "$bc" ]; then bc=$c; fi
  if [ -z "$bl" ] || [ "$l" -lt "$bl" ]; then bl=$l; fi
done
[ -n "$cc" ] || bc=-1
echo "rch-bench compile_us=$bc cpu_us=$bl"`;

export type BenchmarkOutcome = { ok: true; record: SpeedRecord } | { ok: false; error: string };

export function speedScore(compileMs: number | undefined, cpuMs: number): number {
  const cpu = cpuMs / REF_CPU_MS;
  const ratio = compileMs === undefined ? cpu : 0.5 * (compileMs / REF_COMPILE_MS) + 0.5 * cpu;
  return Math.round((100 / Math.max(ratio, 0.001)) * 10) / 10;
}

export function parseBenchmark(stdout: string): { compileMs?: number; cpuMs: number } | undefined {
  const m = /rch-bench compile_us=(-?\d+) cpu_us=(\d+)/.exec(stdout);
  if (!m) return undefined;
  const compileUs = Number(m[1]);
  const cpuMs = Number(m[2]) / 1000;
  return compileUs < 0 ? { cpuMs } : { compileMs: compileUs / 1000, cpuMs };
}

export async function benchmarkWorker(w: WorkerConfig, ssh: Config["ssh"]): Promise<BenchmarkOutcome> {
  const r = await runRemote(w, ssh, script, 120_000);
  if (r.code !== 0) return { ok: false, error: describeFailure(r) };
  const parsed = parseBenchmark(r.stdout);
  if (!parsed) return { ok: false, error: `unexpected output: ${r.stdout.trim().slice(0, 200)}` };
  if (parsed.cpuMs <= 0) return { ok: false, error: "the worker's clock gave no usable timing (date +%s%N)" };
  return {
    ok: true,
    record: {
      workerId: w.id,
      speed: speedScore(parsed.compileMs, parsed.cpuMs),
      compileMs: Math.round((parsed.compileMs ?? -1) * 10) / 10,
      cpuMs: Math.round(parsed.cpuMs * 10) / 10,
      measuredAt: Date.now(),
    },
  };
}
