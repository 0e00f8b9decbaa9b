// A mock of the OpenAI Responses API, enough for `codex exec`: each response asks for the next
// `exec_command` call of the queue (one per round trip), and when the queue is empty the turn
// ends with "done". Several calls in one run save a Codex start (~1 s) each.
// Codex streams (SSE); three events make a response. Only POST /v1/responses is used.

export interface CallOutput {
  callId: string;
  /** The text the model receives: "…Process exited with code N…Output:\n<merged output>". */
  output: string;
}

export interface ExecCall {
  cmd: string;
  workdir?: string;
  yield_time_ms?: number;
  login?: boolean;
  /** "require_escalated": the model asks to run outside the sandbox (Codex then asks the user,
   * under an approval policy that asks). */
  sandbox_permissions?: string;
  justification?: string;
}

export interface MockResponses {
  /** Base URL for the provider's base_url, e.g. http://127.0.0.1:41234/v1 */
  readonly url: string;
  enqueue(...calls: (string | ExecCall)[]): void;
  /** Drops calls a previous (failed) run left unused. */
  clear(): void;
  /** Every function_call_output received, in order. */
  outputs(): readonly CallOutput[];
  stop(): void;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

function sse(item: Json, n: number): string {
  const usage = {
    input_tokens: 10,
    input_tokens_details: null,
    output_tokens: 5,
    output_tokens_details: null,
    total_tokens: 15,
  };
  const events: [string, Json][] = [
    ["response.created", { type: "response.created", response: { id: `resp_${n}` } }],
    ["response.output_item.done", { type: "response.output_item.done", item }],
    ["response.completed", { type: "response.completed", response: { id: `resp_${n}`, usage } }],
  ];
  return events.map(([t, d]) => `event: ${t}\ndata: ${JSON.stringify(d)}\n\n`).join("");
}

export function startMockResponses(): MockResponses {
  const queue: ExecCall[] = [];
  const outputs: CallOutput[] = [];
  const seen = new Set<string>();
  let n = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/responses"))
        return new Response("not found", { status: 404 });
      const body = obj(await req.json().catch(() => undefined));
      const input = Array.isArray(body?.input) ? body.input.map(obj) : [];
      for (const it of input) {
        const isOutput = it?.type === "function_call_output" || it?.type === "custom_tool_call_output";
        if (!isOutput || typeof it.call_id !== "string" || seen.has(it.call_id)) continue;
        seen.add(it.call_id);
        outputs.push({
          callId: it.call_id,
          output: typeof it.output === "string" ? it.output : JSON.stringify(it.output),
        });
      }
      n++;
      const next = queue.shift();
      // A catalogued model gets no `tools` but a JavaScript `exec` tool ("code mode"); the
      // script calls exec_command, which runs the same hooks.
      const codeMode = !Array.isArray(body?.tools) && input[0]?.type === "additional_tools";
      const script = `const r = await tools.exec_command(${JSON.stringify(next)}); text(JSON.stringify(r));`;
      const item: Json = next
        ? codeMode
          ? { type: "custom_tool_call", id: `ctc_${n}`, call_id: `call_${n}`, name: "exec", input: script }
          : {
              type: "function_call",
              id: `fc_${n}`,
              call_id: `call_${n}`,
              name: "exec_command",
              arguments: JSON.stringify(next),
            }
        : {
            type: "message",
            role: "assistant",
            id: `msg_${n}`,
            content: [{ type: "output_text", text: "done" }],
          };
      return new Response(sse(item, n), { headers: { "content-type": "text/event-stream" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    enqueue: (...calls) => queue.push(...calls.map((c) => (typeof c === "string" ? { cmd: c } : c))),
    clear: () => {
      queue.length = 0;
    },
    outputs: () => outputs,
    stop: () => void server.stop(true),
  };
}
