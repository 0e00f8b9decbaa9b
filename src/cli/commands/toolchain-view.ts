// How `rch workers probe` and `rch status --workers` show a worker's toolchains: one line per
// worker, each toolchain marked ✓ when it is exactly this machine's (what a build started here,
// in this dir, would be matched against: src/protocol/toolchains.ts).
import pc from "picocolors";
import { localPlatform } from "../../toolchain/need.ts";
import { localCargoToolchain, rustIdentityKey } from "../../toolchain/rust.ts";
import { toolIdentity } from "../../toolchain/tools.ts";

export interface WorkerToolchainsView {
  platform: string;
  rust: { kind: string; name: string; key: string; version: string }[];
  tools: { name: string; key: string }[];
  error?: string | undefined;
  /** The probe's tools half failed (its Rust half is above). */
  toolsError?: string | undefined;
}

export interface LocalToolchains {
  platform: string;
  rust?: string;
  /** Identity of each tool by name here, asked lazily (cached under the binary's stat). */
  tool(name: string): Promise<string | undefined>;
}

export async function localToolchains(cwd: string, env: NodeJS.ProcessEnv): Promise<LocalToolchains> {
  const r = await localCargoToolchain(cwd, env);
  return {
    platform: localPlatform(),
    ...(r.ok ? { rust: rustIdentityKey(r.toolchain.identity) } : {}),
    tool: (name) => toolIdentity(name, env, cwd),
  };
}

const mark = (same: boolean) => (same ? pc.green("✓") : pc.dim("·"));

/** `w1: Linux x86_64 ✓ · rustc ✓ 1.95.0 (path), · 1.97.0-nightly (rustup nightly-…) · gcc ✓ 12.2.0 …` */
export async function toolchainLine(
  id: string,
  have: WorkerToolchainsView,
  local: LocalToolchains,
): Promise<string> {
  if (have.error) return `${id}: ${pc.yellow(have.error)}`;
  const parts = [`${have.platform} ${mark(have.platform === local.platform)}`];
  const rust = have.rust.map(
    (r) => `${mark(r.key === local.rust)} ${r.version.split(" ")[0]} (${r.kind} ${r.name})`,
  );
  parts.push(`rustc ${rust.join(", ") || "none"}`);
  for (const t of have.tools) {
    const here = await local.tool(t.name);
    const version = /\d+\.\d+(\.\d+)?/.exec(t.key)?.[0] ?? t.key;
    parts.push(`${t.name} ${mark(here === t.key)} ${version}`);
  }
  if (have.toolsError) parts.push(pc.yellow(`compilers and build tools unknown: ${have.toolsError}`));
  return `${id}: ${parts.join(" · ")}`;
}
