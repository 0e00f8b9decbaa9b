// `rch hook install --agent codex --trust`: records Codex's trust in rch's hook, only on that
// explicit request. Codex keeps trust as `hooks.state."<key>".trusted_hash` in config.toml, the
// hash being Codex's own over the hook definition; rather than recompute it, rch asks the
// user's Codex through `codex app-server` (JSON-RPC, one object per line on stdio): hooks/list
// gives each hook's key and current hash, config/batchWrite stores it as Codex itself would.
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import * as v from "valibot";
import { HOOK_MARKER } from "../prefilter.ts";

const Hook = v.looseObject({
  key: v.string(),
  command: v.optional(v.nullable(v.string())),
  sourcePath: v.optional(v.nullable(v.string())),
  currentHash: v.string(),
  trustStatus: v.string(),
});
const HooksList = v.looseObject({ data: v.array(v.looseObject({ hooks: v.array(Hook) })) });
const Reply = v.looseObject({
  id: v.number(),
  result: v.optional(v.unknown()),
  error: v.optional(v.unknown()),
});

/** ~0.9 s measured (app-server start, two requests); past this its process group is killed. */
const DEADLINE_MS = 20_000;

export type TrustResult = { ok: true; trusted: string[]; already: string[] } | { ok: false; reason: string };

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Trusts only rch's entries in `hooksFile` itself: a lookalike elsewhere (a project's hooks) is
 * not what the user consented to. */
export function trustCodexHook(hooksFile: string, cwd: string, env: NodeJS.ProcessEnv): Promise<TrustResult> {
  const file = real(hooksFile);
  return new Promise((resolve) => {
    const child = spawn("codex", ["app-server"], {
      cwd,
      env,
      stdio: ["pipe", "pipe", "ignore"],
      detached: true,
    });
    const done = (r: TrustResult) => {
      clearTimeout(timer);
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ ok: false, reason: "codex app-server did not answer in time" }),
      DEADLINE_MS,
    );
    child.on("error", (e) => done({ ok: false, reason: `cannot run codex app-server: ${e.message}` }));
    child.on("exit", (code) => done({ ok: false, reason: `codex app-server exited (${code})` }));
    const send = (msg: Record<string, unknown>) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    let ours: v.InferOutput<typeof Hook>[] = [];
    const onReply = (id: number, result: unknown) => {
      if (id === 1) {
        send({ method: "initialized" });
        send({ id: 2, method: "hooks/list", params: { cwds: [cwd] } });
      } else if (id === 2) {
        const list = v.safeParse(HooksList, result);
        if (!list.success) return done({ ok: false, reason: "unexpected hooks/list reply" });
        ours = list.output.data
          .flatMap((d) => d.hooks)
          .filter((h) => !!h.sourcePath && real(h.sourcePath) === file && h.command?.startsWith(HOOK_MARKER));
        const todo = ours.filter((h) => h.trustStatus !== "trusted");
        if (ours.length === 0)
          return done({ ok: false, reason: `Codex does not list rch's hook from ${hooksFile}` });
        if (todo.length === 0) return done({ ok: true, trusted: [], already: ours.map((h) => h.key) });
        const edits = todo.map((h) => ({
          keyPath: `hooks.state.${JSON.stringify(h.key)}.trusted_hash`,
          mergeStrategy: "upsert",
          value: h.currentHash,
        }));
        send({ id: 3, method: "config/batchWrite", params: { edits } });
      } else if (id === 3) {
        const todo = ours.filter((h) => h.trustStatus !== "trusted").map((h) => h.key);
        done({
          ok: true,
          trusted: todo,
          already: ours.filter((h) => !todo.includes(h.key)).map((h) => h.key),
        });
      }
    };
    let buf = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        const r = v.safeParse(Reply, msg);
        if (!r.success) continue; // notifications
        if (r.output.error !== undefined)
          return done({
            ok: false,
            reason: `codex app-server: ${JSON.stringify(r.output.error).slice(0, 200)}`,
          });
        onReply(r.output.id, r.output.result);
      }
    });
    send({ id: 1, method: "initialize", params: { clientInfo: { name: "rch", version: "1" } } });
  });
}
