// cargo after a local build (README "Same path": "cargo after a local build"), on the real test
// bed (run as root: `bun bench/seed.bench.ts`).
//
// A workspace of two crates (a generated library heavy enough to take seconds to compile, and a
// binary using it), one bed worker holding the copy. Each round edits the library, builds it
// locally (`cargo build`), then runs `rch exec -- cargo build`, alternately with the profile dir
// sent up first (`[exec] seed_target = true`, the default) and without (`false`: the worker
// compiles the change again). Reported: medians of the rch build's wall time, and how many units
// the worker compiled.
// Env: BENCH_RUNS (rounds per mode, default 5), BENCH_FNS (functions in the library, default 4000).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFleet } from "../test/bed/fleet.ts";
import { ensureBinary, rchEnv } from "../test/exec/bedEnv.ts";
import { median, timed } from "./timing.ts";

const N = Number(process.env.BENCH_RUNS ?? 5);
const FNS = Number(process.env.BENCH_FNS ?? 4000);

function library(round: number): string {
  const fns: string[] = [];
  for (let i = 0; i < FNS; i++)
    fns.push(
      `pub fn f${i}(x: u64) -> u64 { let mut v = vec![x; ${(i % 7) + 1}]; v.sort(); v.iter().sum::<u64>() ^ ${i} }`,
    );
  return `${fns.join("\n")}\npub fn round() -> u64 { ${round} }\n`;
}

function project(root: string): void {
  const files: Record<string, string> = {
    "Cargo.toml": '[workspace]\nmembers = ["heavy", "app"]\nresolver = "2"\n',
    "heavy/Cargo.toml": '[package]\nname = "heavy"\nversion = "0.1.0"\nedition = "2021"\n',
    "heavy/src/lib.rs": library(0),
    "app/Cargo.toml":
      '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nheavy = { path = "../heavy" }\n',
    "app/src/main.rs": 'fn main() { println!("{}", heavy::f1(2) + heavy::round()); }\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  mkdirSync(join(root, ".git"));
}

const compiled = (stderr: string) => (stderr.match(/^\s+Compiling /gm) ?? []).length;

async function main(): Promise<void> {
  const [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["rust"] }), ensureBinary()]);
  const e = rchEnv(fleet);
  const base = mkdtempSync("/tmp/rchbench-seed-");
  try {
    const proj = join(base, "p");
    project(proj);
    const offDir = join(e.dir, "config-off");
    mkdirSync(offDir);
    writeFileSync(join(offDir, "workers.toml"), fleet.workersToml());
    writeFileSync(join(offDir, "config.toml"), "[exec]\nseed_target = false\n");
    const env = { ...e.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
    const modes = {
      seed: env,
      "no seed": { ...env, RCH_CONFIG_DIR: offDir },
    };
    const build = [rch, "exec", "--", "cargo", "build", "-v"];
    await timed(build, proj, env); // copy, first remote build, target back
    const rows: Record<string, { ms: number[]; units: number[]; seedMs: number[] }> = {};
    let round = 0;
    for (let i = 0; i < N; i++) {
      for (const [name, menv] of Object.entries(modes)) {
        round++;
        writeFileSync(join(proj, "heavy", "src", "lib.rs"), library(round));
        await timed(["cargo", "build"], proj, env);
        const r = await timed(build, proj, { ...menv, RCH_VERBOSE: "1" });
        if (!/ remote: cargo exited 0/.test(r.stderr)) throw new Error(`not built remotely:\n${r.stderr}`);
        rows[name] ??= { ms: [], units: [], seedMs: [] };
        const row = rows[name];
        row.ms.push(r.ms);
        row.units.push(compiled(r.stderr));
        const sent = / seed: \S+ changed here, sent to \S+ in (\d+) ms/.exec(r.stderr);
        if (sent) row.seedMs.push(Number(sent[1]));
      }
    }
    console.log(`${N} interleaved rounds per mode, ${FNS} functions in the library, medians:`);
    for (const [name, r] of Object.entries(rows)) {
      const seed = r.seedMs.length ? `, the send ${median(r.seedMs).toFixed(0)} ms` : "";
      console.log(
        `  ${name.padEnd(8)} rch cargo build after a local build: ${median(r.ms).toFixed(0)} ms, ${median(r.units)} unit(s) compiled on the worker${seed}`,
      );
    }
    const s = rows.seed;
    const o = rows["no seed"];
    if (s && o) console.log(`  seed ÷ no seed: ×${(median(s.ms) / median(o.ms)).toFixed(2)}`);
  } finally {
    await timed([rch, "daemon", "stop"], base, e.env).catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    e.cleanup();
    await fleet.stop();
  }
}

await main();
