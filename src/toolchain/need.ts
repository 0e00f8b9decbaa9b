// A build's toolchain requirement (src/protocol/toolchains.ts), from what its family declares in
// the registry (ToolchainSpec): the Rust toolchain rustup would pick, the compiler on PATH, the
// tools a build dir recorded, or a tool's revision — each with its identity, cached (no spawn on
// the warm path). When the local toolchain cannot be known (not installed here, does not run),
// the build cannot be matched with a worker's: it runs here, and the reason says why.
import { machine, type } from "node:os";
import type { ToolchainSpec } from "../classify/registry.ts";
import type { ToolchainNeed } from "../protocol/toolchains.ts";
import { recordedTools } from "./buildDir.ts";
import { localRustToolchain, rustIdentityKey } from "./rust.ts";
import { compilerIdentity, resolveCompiler, versionIdentity } from "./tools.ts";
import { whichCommand } from "./which.ts";

export type NeedResult = { ok: true; need: ToolchainNeed } | { ok: false; reason: string };

/** `uname -sm` of this machine, without a process: what a worker must say to build for it. */
export function localPlatform(): string {
  return `${type()} ${machine()}`;
}

export interface NeedInput {
  spec: ToolchainSpec;
  argv: readonly string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** build-dir families: the dir the command builds in (absolute). */
  buildDir?: string;
}

type Tool = NonNullable<ToolchainNeed["tools"]>[number];

async function toolNeed(tool: string, kind: "compiler" | "version", inp: NeedInput, flag?: string) {
  const path =
    kind === "compiler" ? resolveCompiler(tool, inp.env, inp.cwd) : whichCommand(tool, inp.env, inp.cwd);
  if (!path) return `${tool} is not installed here`;
  const key = kind === "compiler" ? await compilerIdentity(path) : await versionIdentity(path, flag);
  if (key === undefined) return `cannot ask ${path} for its version`;
  return { tool, key, label: key.split("|")[0] ?? key } satisfies Tool;
}

export async function toolchainNeed(inp: NeedInput): Promise<NeedResult> {
  const platform = localPlatform();
  const s = inp.spec;
  switch (s.kind) {
    case "none":
      return { ok: true, need: { platform } };
    case "rust": {
      const r = await localRustToolchain(inp.cwd, inp.env, inp.argv);
      if (!r.ok) return { ok: false, reason: `cannot tell which Rust toolchain to match: ${r.reason}` };
      const id = r.toolchain.identity;
      return { ok: true, need: { platform, rust: { key: rustIdentityKey(id), label: id.version } } };
    }
    case "compiler":
    case "revision": {
      const name = (inp.argv[0] ?? "").split("/").pop() ?? "";
      const t = await toolNeed(
        inp.argv[0] ?? name,
        s.kind === "compiler" ? "compiler" : "version",
        inp,
        s.kind === "revision" ? s.flag : undefined,
      );
      if (typeof t === "string") return { ok: false, reason: t };
      return { ok: true, need: { platform, tools: [{ ...t, tool: name }] } };
    }
    case "build-dir": {
      const recorded = recordedTools(inp.buildDir ?? inp.cwd) ?? [];
      const tools: Tool[] = [];
      for (const r of recorded) {
        if (r.known !== undefined) {
          tools.push({ tool: r.tool, key: r.known, label: r.known });
          continue;
        }
        const t = await toolNeed(r.tool, r.kind, inp);
        if (typeof t === "string") return { ok: false, reason: t };
        tools.push(t);
      }
      return { ok: true, need: { platform, tools } };
    }
  }
}
