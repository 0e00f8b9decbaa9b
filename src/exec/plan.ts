// Step 1 of `rch exec` (README: "Running builds remotely", step 1): everything decidable before touching the network. Either a
// plan for a remote run, or the reason this command runs locally right away.

import { fstatSync } from "node:fs";
import { relative } from "node:path";
import { type RuntimeSwitches, runtimeSwitches } from "../config/env.ts";
import { userHome } from "../config/home.ts";
import { type ClientIdentity, clientIdentity } from "../config/identity.ts";
import { loadConfig } from "../config/load.ts";
import { findProjectRoot, tooBroadRoot } from "../config/project.ts";
import type { Config, WorkerConfig } from "../config/schema.ts";
import { formatIssue } from "../config/validate.ts";
import type { TimingStore } from "../protocol/selector.ts";
import type { ToolchainNeed } from "../protocol/toolchains.ts";
import { NESTED_ENV } from "../shell/nested.ts";
import { buildRules, compileRules, type FilterRule, type Matcher } from "../transfer/rules.ts";
import type { Assignment } from "./argv.ts";
import { type RemoteEnv, remoteEnv } from "./env.ts";
import { type FamilyPlan, familyToolchain, planFamily } from "./family.ts";
import { argOutsideRoot } from "./outside.ts";

export interface ExecPlan {
  argv: string[];
  assignments: readonly Assignment[];
  cwd: string;
  root: string;
  /** cwd relative to root, "." at the root. */
  relCwd: string;
  config: Config;
  workers: WorkerConfig[];
  switches: RuntimeSwitches;
  family: FamilyPlan;
  rules: FilterRule[];
  keep: Matcher;
  env: RemoteEnv;
  /** Config problems (the affected keys fell back to defaults); shown with --verbose. */
  issues: string[];
  /** This installation, as workers see it (copy names, slot notes, stamps). */
  identity: ClientIdentity;
  /** The toolchain a worker must have for this build: only exact matches get it. */
  toolchain: ToolchainNeed;
}

export type PlanResult =
  | { kind: "remote"; plan: ExecPlan }
  /** `fault`: something is wrong (say why in one line), not merely a command that stays here. */
  | { kind: "local"; reason: string; plan?: ExecPlan; fault?: boolean };

export interface PlanInput {
  argv: string[];
  assignments: readonly Assignment[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timings: TimingStore;
}

function disabledReason(config: Config, sw: RuntimeSwitches): string | undefined {
  if (sw.bypass) return "RCH_BYPASS is set";
  if (sw.localOnly) return "RCH_LOCAL_ONLY is set";
  if (!config.general.enabled)
    return "rch is disabled (general.enabled, RCH_ENABLED or the project's enabled = false)";
  return undefined;
}

export async function makePlan(inp: PlanInput): Promise<PlanResult> {
  const { root } = findProjectRoot(inp.cwd);
  const loaded = loadConfig({ projectRoot: root, env: inp.env });
  const { config } = loaded;
  if (loaded.unreadable) return { kind: "local", reason: loaded.unreadable, fault: true };
  const switches = runtimeSwitches(inp.env);
  const off = disabledReason(config, switches);
  if (off) return { kind: "local", reason: off };
  if (loaded.workers.length === 0) return { kind: "local", reason: "no workers configured" };
  if (tooBroadRoot(root, userHome(inp.env))) {
    return { kind: "local", reason: `no project root above ${inp.cwd} (would sync all of ${root})` };
  }
  const familyCtx = { root, cwd: inp.cwd, env: { ...inp.env, ...Object.fromEntries(inp.assignments) } };
  const family = planFamily(inp.argv, familyCtx);
  if (family.localReason) return { kind: "local", reason: family.localReason };
  const outside = argOutsideRoot(inp.argv.slice(1), root, inp.cwd);
  if (outside) return { kind: "local", reason: `argument ${outside} is outside the project ${root}` };
  const env = remoteEnv({
    local: inp.env,
    extraAllow: config.exec.env_allowlist,
    configEnv: config.environment,
    assignments: inp.assignments,
    root,
    cwd: inp.cwd,
    forceColor: config.output.preserve_colors && stdoutIsTerminal(),
  });
  if (!env.ok) return { kind: "local", reason: env.reason };
  const timing = await timingGate(inp.timings, root, family.kind, config);
  if (timing) return { kind: "local", reason: timing };
  // After the timing gate: a build that stays here anyway never pays for a cold identity.
  const need = await familyToolchain(inp.argv, familyCtx);
  if (!need.ok) return { kind: "local", reason: need.reason, fault: true };
  const rules = buildRules({
    includes: config.transfer.include_patterns,
    excludes: config.transfer.exclude_patterns,
    familyExcludes: family.excludes,
    projectRoot: root,
  });
  const plan: ExecPlan = {
    argv: inp.argv,
    assignments: inp.assignments,
    cwd: inp.cwd,
    root,
    relCwd: relative(root, inp.cwd) || ".",
    config,
    workers: loaded.workers,
    switches,
    family,
    rules,
    keep: compileRules(rules),
    // Marked nested on the worker too: a PATH shim installed there leaves the build's tools alone.
    env: { plain: [...env.env.plain, [NESTED_ENV, "1"]], rooted: env.env.rooted },
    issues: loaded.issues.map(formatIssue),
    identity: clientIdentity(config.general.client_name),
    toolchain: need.need,
  };
  return { kind: "remote", plan };
}

async function timingGate(
  store: TimingStore,
  root: string,
  kind: string,
  config: Config,
): Promise<string | undefined> {
  const t = await store.get(root, kind);
  const { min_local_time_ms: min, remote_speedup_threshold: speedup } = config.compilation;
  if (t.localMs !== undefined && t.localMs < min) {
    return `${kind} usually takes ${Math.round(t.localMs)} ms here (< compilation.min_local_time_ms = ${min})`;
  }
  if (
    t.localMs !== undefined &&
    t.remoteMs !== undefined &&
    t.remoteMs > 0 &&
    t.localMs / t.remoteMs < speedup
  ) {
    return `${kind} is not faster remotely (${Math.round(t.localMs)} ms here, ${Math.round(t.remoteMs)} ms remote)`;
  }
  return undefined;
}

/** isatty(1), asked of node:tty only when stdout is a character device at all: agents give
 * builds a pipe, and loading node:tty cost ~5 M instructions (callgrind, compiled stub). */
function stdoutIsTerminal(): boolean {
  try {
    if (!fstatSync(1).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return (require("node:tty") as typeof import("node:tty")).isatty(1);
}
