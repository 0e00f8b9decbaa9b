// The remote script's arguments for a plan: shared by the real run and the dry run, so the
// plan a dry run prints is exactly what would be sent.
import { basename, relative } from "node:path";
import { FAMILIES, familyNamed } from "../classify/registry.ts";
import type { WorkerConfig } from "../config/schema.ts";
import type { RemoteEnv } from "./env.ts";
import type { ExecPlan } from "./plan.ts";
import { buildArgs } from "./script.ts";

export function scriptArgsFor(
  plan: ExecPlan,
  run: {
    nonce: string;
    remoteDir: string;
    bunHash: string;
    worker: WorkerConfig;
    samePath: boolean;
    /** The matched toolchain's pin on this worker: set last, over anything of the same name. */
    pin?: readonly (readonly [string, string])[];
  },
): string[] {
  const rel = (d: string) => relative(plan.root, d);
  const me = `client=${plan.identity.id} name=${plan.identity.name}`;
  return buildArgs({
    nonce: run.nonce,
    remoteDir: run.remoteDir,
    relCwd: plan.relCwd,
    bunDir: plan.family.bunDir ? rel(plan.family.bunDir) || "." : "",
    bunHash: run.bunHash,
    trackInTree: plan.family.trackInTree,
    outputDirs: plan.family.outputDirs.map(rel),
    fixDirs: plan.family.fixDirs.map((d) => rel(d) || "."),
    localRoot: plan.root,
    // cargo's outputs are all in its target dir, which syncs leave alone and cargo locks: cargo
    // builds share the copy; a build with outputs in the tree has it alone.
    lockMode: plan.family.sharesCopy ? "s" : "x",
    lockWaitS: plan.config.daemon.slot_wait_ms / 1000,
    slots: run.worker.total_slots,
    who: `${me} project=${noteWord(basename(plan.root))} since=${Math.floor(Date.now() / 1000)}`,
    stampNote: `${me} project=${noteWord(plan.root)}`,
    samePath: run.samePath,
    env: run.pin ? pinned(plan.env, run.pin) : plan.env,
    argv: run.pin ? withoutToolchainWord(plan.argv) : plan.argv,
  });
}

/** `cargo +nightly build` → `cargo build`: the pin (RUSTUP_TOOLCHAIN, or PATH for a toolchain
 * without rustup, whose cargo would refuse `+nightly`) names the worker's matching toolchain. */
function withoutToolchainWord(argv: readonly string[]): string[] {
  const family = familyNamed(basename(argv[0] ?? ""));
  const rust = family !== undefined && FAMILIES[family].exec.toolchain.kind === "rust";
  if (rust && argv[1]?.startsWith("+")) return [argv[0]!, ...argv.slice(2)];
  return [...argv];
}

function pinned(env: RemoteEnv, pin: readonly (readonly [string, string])[]): RemoteEnv {
  const names = new Set(pin.map(([k]) => k));
  return {
    plain: [...env.plain.filter(([k]) => !names.has(k)), ...pin.map(([k, v]) => [k, v] as [string, string])],
    rooted: env.rooted.filter(([k]) => !names.has(k)),
  };
}

/** Notes are space-separated key=value words on one line. */
function noteWord(s: string): string {
  return s.replace(/[\s\0-\x1f]/g, "_");
}
