// benchmark: measures workers one after another (they may share hardware, and a parallel run
// would measure the contention) and persists each speed score as it arrives.
import type { RequestOf } from "../../protocol/requests.ts";
import type { BenchmarkResult, Response } from "../../protocol/responses.ts";
import { benchmarkWorker } from "../benchmark.ts";
import type { Conn, DaemonContext } from "../context.ts";

export async function benchmark(
  ctx: DaemonContext,
  _conn: Conn,
  req: RequestOf<"benchmark">,
): Promise<Response> {
  const all = ctx.fleet.list();
  const unknown = req.workerIds.filter((id) => !ctx.fleet.get(id));
  if (unknown.length > 0) {
    return { type: "error", id: req.id, code: "unknown_worker", message: `no worker ${unknown.join(", ")}` };
  }
  const targets = req.workerIds.length > 0 ? req.workerIds.map((id) => ctx.fleet.get(id)!) : all;
  const results: BenchmarkResult[] = [];
  for (const st of targets) {
    const r = await benchmarkWorker(st.config, ctx.config.ssh);
    if (!r.ok) {
      ctx.log.warn(`benchmark ${st.config.id}: ${r.error}`);
      results.push({ workerId: st.config.id, ok: false, error: r.error });
      continue;
    }
    st.speed = r.record;
    ctx.store.setSpeed(r.record);
    ctx.log.info(
      `benchmark ${st.config.id}: speed ${r.record.speed} (compile ${r.record.compileMs} ms, cpu ${r.record.cpuMs} ms)`,
    );
    results.push({
      workerId: st.config.id,
      ok: true,
      speed: r.record.speed,
      compileMs: r.record.compileMs,
      cpuMs: r.record.cpuMs,
    });
  }
  return { type: "benchmark", id: req.id, results };
}
