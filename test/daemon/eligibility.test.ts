// The dry run and the daemon, as processes: `RCH_DRY_RUN=1 rch exec` names the worker a real
// daemon picks for the same request, and when the daemon refuses every worker it says local with
// the daemon's reason. The switches (RCH_WORKER, RCH_WORKERS, RCH_TAGS) travel through the
// environment, as they do for an agent. Simulated workers: neither side connects to them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "bun";
import { stringify } from "smol-toml";
import type { Selection } from "../../src/protocol/selector.ts";
import { type DaemonProc, job, makeEnv, RCH, type RchEnv, selector, startDaemon } from "./helpers.ts";

let rch: RchEnv;
let daemon: DaemonProc;
let project: string;

beforeAll(async () => {
  rch = makeEnv();
  const w = (id: string, extra: Record<string, unknown>) => ({ id, host: "127.0.0.1", port: 1, ...extra });
  rch.writeWorkers(
    stringify({
      workers: [
        w("f1", { tags: ["fast"], priority: 100 }),
        w("f2", { tags: ["ssd"], priority: 200 }),
        w("f3", { tags: ["fast"], priority: 300, enabled: false }),
      ],
    }),
  );
  daemon = await startDaemon(rch, ["--no-heartbeat"]);
  project = join(rch.dir, "proj");
  mkdirSync(join(project, ".git"), { recursive: true });
});

afterAll(async () => {
  await daemon?.stop();
  rch?.cleanup();
});

/** What the dry run says: the worker it would use, or "local: <reason>". */
async function dryRun(env: Record<string, string>): Promise<string> {
  const proc = spawn([...RCH, "exec", "--", "true"], {
    cwd: project,
    env: { ...rch.env, RCH_DRY_RUN: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  expect(code).toBe(0);
  const local = /dry run: would run locally: (.*)/.exec(stderr);
  if (local) return `local: ${local[1]}`;
  const worker = /worker: (\S+) \(candidates/.exec(stderr);
  if (!worker) throw new Error(`no plan in the dry run's stderr:\n${stderr}`);
  return worker[1]!;
}

/** What the daemon says for the same constraints. */
async function daemonSays(over: Parameters<typeof job>[0]): Promise<string> {
  const sel = selector(rch);
  try {
    const s: Selection = await sel.select(job({ projectRoot: project, ...over }));
    if (s.kind === "local") return `local: ${s.reason}`;
    if (s.kind !== "worker") return s.kind;
    await s.lease.release({ kind: "remote", exitCode: 0, remoteMs: 1 });
    return s.lease.worker.id;
  } finally {
    sel.close();
  }
}

const CASES: { env: Record<string, string>; req: Parameters<typeof job>[0] }[] = [
  { env: {}, req: {} },
  { env: { RCH_WORKER: "f1" }, req: { forcedWorker: "f1" } },
  { env: { RCH_WORKER: "f3" }, req: { forcedWorker: "f3" } }, // disabled: forcing it does not help
  { env: { RCH_WORKER: "nope" }, req: { forcedWorker: "nope" } },
  { env: { RCH_WORKERS: "f1,f3" }, req: { allowedWorkers: ["f1", "f3"] } },
  { env: { RCH_TAGS: "fast" }, req: { tags: ["fast"] } as never },
  { env: { RCH_TAGS: "gpu" }, req: { tags: ["gpu"] } as never },
  { env: { RCH_TAGS: "ssd", RCH_WORKER: "f1" }, req: { tags: ["ssd"], forcedWorker: "f1" } as never },
];

test("the dry run names the daemon's worker, or the daemon's reason for none", async () => {
  const seen: string[] = [];
  for (const c of CASES) {
    const [dry, real] = await Promise.all([dryRun(c.env), daemonSays(c.req)]);
    expect({ env: c.env, dry }).toEqual({ env: c.env, dry: real });
    seen.push(dry);
  }
  expect(seen).toContain("f2");
  expect(seen).toContain("local: no eligible worker (f3 disabled in workers.toml)");
  expect(seen).toContain(
    "local: no eligible worker (f1 lacks tag gpu; f2 lacks tag gpu; f3 disabled in workers.toml)",
  );
}, 60_000);
