// The worker's toolchain identities: what src/worker/toolchains.sh prints, parsed. Shared by
// rchd (selection, refreshed when the heartbeat's fingerprint moves) and `rch workers probe`.
// The shape is the wire's WorkerToolchains (src/protocol/toolchains.ts) without its clock; ssh/
// sits below protocol/ in the dependency rule, so it is spelled out here and checked there.
import type { Config, WorkerConfig } from "../config/schema.ts";
import { TOOLCHAINS_PROGRAM } from "../worker/programs.ts";
import { remoteRootArg } from "./gc.ts";
import { sshTarget } from "./options.ts";
import { runRemote } from "./remote.ts";

export interface ParsedRust {
  kind: "rustup" | "rch" | "path";
  name: string;
  dir: string;
  /** `rustc <release> <commit-hash> <host>`: the same words as the local rustIdentityKey. */
  key: string;
  version: string;
}

export interface ParsedToolchains {
  platform: string;
  libc: string;
  path: string;
  rust: ParsedRust[];
  tools: { name: string; path: string; key: string }[];
}

const KINDS = new Set(["rustup", "rch", "path"]);

export function parseToolchains(stdout: string): ParsedToolchains {
  const out: ParsedToolchains = { platform: "?", libc: "-", path: "", rust: [], tools: [] };
  for (const line of stdout.split("\n")) {
    const f = line.split("\t");
    switch (f[0]) {
      case "platform":
        out.platform = f[1] ?? "?";
        break;
      case "libc":
        out.libc = f[1] ?? "-";
        break;
      case "path":
        out.path = f.slice(1).join("\t");
        break;
      case "rust": {
        const [, kind, name, dir, release, hash, host, version] = f;
        if (!kind || !KINDS.has(kind) || !name || !dir || !release || !hash || !host) break;
        out.rust.push({
          kind: kind as ParsedRust["kind"],
          name,
          dir,
          key: `rustc ${release} ${hash} ${host}`,
          version: version || release,
        });
        break;
      }
      case "tool":
        if (f[1] && f[2]) out.tools.push({ name: f[1], path: f[2], key: f.slice(3).join("\t") });
        break;
    }
  }
  return out;
}

/** Both halves of toolchains.sh on one worker (for `rch workers probe`; rchd runs them itself). */
export async function probeToolchains(
  w: WorkerConfig,
  ssh: Config["ssh"],
): Promise<{ ok: true; toolchains: ParsedToolchains } | { ok: false; error: string }> {
  const t = sshTarget(w, ssh);
  const root = remoteRootArg(w.remote_root);
  const [rust, tools] = await Promise.all(
    (["rust", "tools"] as const).map((part) => runRemote(t, TOOLCHAINS_PROGRAM, [root, part], 60_000)),
  );
  if (rust!.code !== 0 || tools!.code !== 0) return { ok: false, error: "toolchain probe failed" };
  return {
    ok: true,
    toolchains: { ...parseToolchains(rust!.stdout), tools: parseToolchains(tools!.stdout).tools },
  };
}
