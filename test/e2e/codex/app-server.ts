// Drives `codex app-server` (JSON-RPC over stdio, one object per line) for one turn: the engine
// behind Codex's interactive clients, where the approval policy can ask (`codex exec` never
// does). Every approval request is answered "accept" and recorded. Deadline + group kill.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallOutput, MockResponses } from "./mock.ts";
import { hostsFile, isolated } from "./run-codex.ts";

export interface TurnOptions {
  codexBin: string;
  mock: MockResponses;
  cwd: string;
  codexHome: string;
  approvalPolicy: string;
  sandbox: "read-only" | "workspace-write" | "danger-full-access";
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface Turn {
  completed: boolean;
  /** Item ids Codex asked the client to approve. */
  approvals: string[];
  /** The command of each commandExecution item, as run (after any rewrite). */
  commands: string[];
  outputs: CallOutput[];
  stderr: string;
}

type Msg = {
  id?: number;
  method?: string;
  result?: Record<string, unknown>;
  error?: unknown;
  params?: Record<string, unknown>;
};

export async function runTurn(o: TurnOptions): Promise<Turn> {
  const scratch = mkdtempSync(join(tmpdir(), "rch-e2e-codex-as-"));
  mkdirSync(join(scratch, "tmp"));
  const since = o.mock.outputs().length;
  const env = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: o.codexHome,
    CODEX_HOME: o.codexHome,
    TMPDIR: join(scratch, "tmp"),
    MOCK_API_KEY: "sk-test",
    ...o.env,
  };
  const [cmd, ...args] = isolated(hostsFile(scratch), [o.codexBin, "app-server"]);
  const child = spawn(cmd!, args, { cwd: o.cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const turn: Turn = { completed: false, approvals: [], commands: [], outputs: [], stderr: "" };
  child.stderr.on("data", (b: Buffer) => {
    turn.stderr += b.toString();
  });
  const send = (m: Msg) => child.stdin.write(`${JSON.stringify(m)}\n`);
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, o.timeoutMs ?? 30_000);
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      child.on("exit", finish);
      let buf = "";
      child.stdout.on("data", (b: Buffer) => {
        buf += b.toString();
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const m = JSON.parse(buf.slice(0, nl)) as Msg;
          buf = buf.slice(nl + 1);
          if (m.error !== undefined) {
            turn.stderr += `\nrpc error: ${JSON.stringify(m.error)}`;
            return finish();
          }
          if (m.id === 1 && m.result) {
            send({ method: "initialized" });
            const params = { cwd: o.cwd, approvalPolicy: o.approvalPolicy, sandbox: o.sandbox };
            send({ id: 2, method: "thread/start", params });
          } else if (m.id === 2 && m.result) {
            const threadId = (m.result.thread as { id: string }).id;
            send({
              id: 3,
              method: "turn/start",
              params: { threadId, input: [{ type: "text", text: "run it" }] },
            });
          } else if (m.method?.endsWith("/requestApproval") && m.id !== undefined) {
            turn.approvals.push(String(m.params?.itemId));
            send({ id: m.id, result: { decision: "accept" } });
          } else if (m.method === "item/completed") {
            const item = m.params?.item as { type?: string; command?: string } | undefined;
            if (item?.type === "commandExecution" && item.command) turn.commands.push(item.command);
          } else if (m.method === "turn/completed") {
            turn.completed = true;
            return finish();
          }
        }
      });
      send({ id: 1, method: "initialize", params: { clientInfo: { name: "rch-e2e", version: "1" } } });
    });
  } finally {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone already
    }
    rmSync(scratch, { recursive: true, force: true });
  }
  turn.outputs = o.mock.outputs().slice(since);
  return turn;
}
