// Does `rch workers gc --dry-run` predict the space a real GC frees? Each round stages a random
// layout of project copies on a bed worker, runs
//   rch --format json workers gc w1 --dry-run      (its predicted free space after minus before)
// then the real `rch --format json workers gc w1`, and compares the prediction with the change
// in `df -Pk` free space across the real run. Two filesystems as the worker's remote_root: a
// 512 MiB tmpfs (the bed's `rootSize`) and a 1 GiB ext4 (a loop image; journal, directory
// blocks and inode tables as on a real worker disk). Run as root:
//   bun bench/gc.bench.ts            (BENCH_ROUNDS=5 rounds per filesystem, BENCH_SEED=1)
// A layout: 24 copies of 2-24 MB each in 1-3,000 files (rounding to blocks is what a prediction
// could miss), a third with a cargo incremental dir of 1-8 MB, last uses spread over 10 days;
// min_free_gb is set so that about half of rch's usage has to go (headroom 0, keep_recent_h 0),
// so both stages (incremental dirs of copies idle > 3 d, then whole copies) run.
import { chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFleet } from "../test/bed/fleet.ts";
import { must, run } from "../test/bed/proc.ts";
import { clearRoot, df, type FakeCopy, MB, stageCopies } from "../test/disk/stage.ts";
import { ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
let seed = Number(process.env.BENCH_SEED ?? 1);
/** mulberry32: the same layouts on every machine. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo: number, hi: number) => Math.floor(lo + random() * (hi - lo + 1));

function layout(round: number): FakeCopy[] {
  return Array.from({ length: 24 }, (_, i) => ({
    name: `p${round}x${String(i).padStart(2, "0")}-${(0xa00000000000 + i).toString(16)}`,
    bytes: between(2, 24) * MB,
    files: between(1, 3000),
    ago: between(3600, 10 * 86_400),
    ...(random() < 1 / 3 ? { incrementalBytes: between(1, 8) * MB } : {}),
  }));
}

interface GcJson {
  workers: {
    ok: boolean;
    end: {
      availBeforeKb: number;
      availAfterKb: number;
      usageBeforeKb: number;
      freedKb: number;
      met: boolean;
    };
    copies: { action: string }[];
  }[];
}

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([
    startFleet({ workers: [{ id: "w1", rootSize: "512m" }], toolchains: ["cc"] }),
    ensureBinary(),
  ]);
  const w = fleet.worker("w1");
  const rows: string[][] = [];
  const errors: number[] = [];
  try {
    for (const fs of ["tmpfs", "ext4"] as const) {
      if (fs === "ext4") {
        // Over the tmpfs: the image lives in the fleet's scratch dir, teardown unmounts both.
        const img = join(fleet.dir, "ext4.img");
        await must(["truncate", "-s", "1G", img], { timeoutMs: 10_000 });
        await must(["mkfs.ext4", "-q", "-F", img], { timeoutMs: 60_000 });
        await must(["mount", "-o", "loop", img, w.remoteRoot], { timeoutMs: 10_000 });
        chownSync(w.remoteRoot, w.uid, w.uid);
      }
      for (let round = 1; round <= ROUNDS; round++) {
        clearRoot(w);
        await stageCopies(w, layout(round));
        await must(["sync"], { timeoutMs: 60_000 });
        const start = await df(w);
        const used = start.totalKb - start.availKb;
        // About half of what is used has to go.
        const minFreeGb = (start.availKb + used / 2) / (1024 * 1024);
        const e = rchEnv(fleet, { min_free_gb: Number(minFreeGb.toFixed(6)) });
        writeFileSync(
          join(e.env.RCH_CONFIG_DIR!, "config.toml"),
          "[gc]\ngc_headroom_gb = 0\nkeep_recent_h = 0\ntrim_incremental_after_d = 3\n",
        );
        const gc = async (args: string[]): Promise<GcJson["workers"][number]> => {
          const r = await run([rch, "--format", "json", "workers", "gc", "w1", ...args], {
            env: e.env,
            timeoutMs: 600_000,
          });
          if (r.code !== 0) throw new Error(`rch workers gc ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
          return (JSON.parse(r.stdout) as GcJson).workers[0]!;
        };
        const plan = await gc(["--dry-run"]);
        const before = await df(w);
        const done = await gc([]);
        await must(["sync"], { timeoutMs: 60_000 });
        const after = await df(w);
        e.cleanup();
        const predicted = plan.end.availAfterKb - plan.end.availBeforeKb;
        const real = after.availKb - before.availKb;
        const err = (100 * (predicted - real)) / real;
        errors.push(Math.abs(err));
        const count = (j: typeof plan, a: string) => j.copies.filter((c) => c.action === a).length;
        rows.push([
          fs,
          String(round),
          `${(plan.end.usageBeforeKb / 1024).toFixed(1)} MB`,
          `${count(plan, "remove")}+${count(plan, "trim")}t`,
          `${count(done, "remove")}+${count(done, "trim")}t`,
          `${(predicted / 1024).toFixed(2)} MB`,
          `${(real / 1024).toFixed(2)} MB`,
          `${err >= 0 ? "+" : ""}${err.toFixed(2)} %`,
        ]);
        console.log(rows.at(-1)!.join("  "));
      }
    }
  } finally {
    await fleet.stop();
  }
  const header = [
    "fs",
    "round",
    "rch usage",
    "plan: removed+trimmed",
    "run",
    "predicted freed",
    "df delta",
    "error",
  ];
  console.log(`\n| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  const worst = Math.max(...errors);
  console.log(`\nworst |error| ${worst.toFixed(2)} % → ${worst <= 5 ? "OK" : "FAIL"} (target ≤ 5 %)`);
}

await main();
