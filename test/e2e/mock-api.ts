// A scriptable mock of the Anthropic Messages API, enough to drive the real Claude Code CLI
// offline: each conversation asks for one Bash tool call, then ends with the text "done".
//
// Shape verified against Claude Code 2.1.328 (see /work/shared/claude-code-e2e.md): the client
// streams, so replies are SSE; a plain-JSON reply to a streaming request would make it retry
// without streaming and double the request count.

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface ToolResult {
  toolUseId: string;
  /** Text of the result, blocks joined; Claude Code may append a `<system-reminder>`, so assert with contains. */
  content: string;
  is_error: boolean;
}

/** The Bash tool's input as the model sends it. */
export interface BashInput {
  command: string;
  description?: string;
  /** Milliseconds; lets a test check the hook's rewrite keeps it. */
  timeout?: number;
  run_in_background?: boolean;
}

export interface IssuedToolUse {
  id: string;
  input: BashInput;
}

export interface MockApi {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Queue commands; each new conversation turn consumes one as a Bash tool_use. */
  enqueue(...commands: (string | BashInput)[]): void;
  /** Every request received, in order. */
  requests(): readonly RecordedRequest[];
  /** Tool results seen in requests from index `since` on, each tool_use_id once. */
  toolResults(since?: number): ToolResult[];
  /** The Bash tool_use blocks this mock issued, in order. */
  issued(): readonly IssuedToolUse[];
  stop(): void;
}

type Json = Record<string, unknown>;

interface Block {
  type: string;
  [key: string]: unknown;
}

interface Message {
  role: string;
  content: unknown;
}

function asObject(v: unknown): Json | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

function blocksOf(content: unknown): Block[] {
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Block => asObject(b) !== null && typeof (b as Json).type === "string");
}

function messagesOf(body: unknown): Message[] {
  const msgs = asObject(body)?.messages;
  if (!Array.isArray(msgs)) return [];
  return msgs.filter((m): m is Message => asObject(m) !== null && typeof (m as Json).role === "string");
}

/**
 * The newest turn, ignoring the `role:"system"` messages newer clients append after the user turn.
 */
function lastTurn(body: unknown): Message | undefined {
  return messagesOf(body)
    .filter((m) => m.role !== "system")
    .at(-1);
}

function newToolResults(body: unknown): Block[] {
  const last = lastTurn(body);
  if (last?.role !== "user") return [];
  return blocksOf(last.content).filter((b) => b.type === "tool_result");
}

function offersBash(body: unknown): boolean {
  const tools = asObject(body)?.tools;
  return Array.isArray(tools) && tools.some((t) => asObject(t)?.name === "Bash");
}

function flattenContent(content: unknown): string {
  if (typeof content === "string") return content;
  return blocksOf(content)
    .map((b) => (b.type === "text" && typeof b.text === "string" ? b.text : ""))
    .join("\n");
}

function sseEvent(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

type Reply = { kind: "tool_use"; id: string; input: BashInput } | { kind: "text"; text: string };

function renderReply(reply: Reply, model: string, stream: boolean): Response {
  const id = `msg_mock_${crypto.randomUUID()}`;
  const usage = {
    input_tokens: 10,
    output_tokens: 5,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  const input = reply.kind === "tool_use" ? reply.input : undefined;
  const stopReason = reply.kind === "tool_use" ? "tool_use" : "end_turn";
  const headers = { "request-id": "req_mock" };

  if (!stream) {
    const content =
      reply.kind === "tool_use"
        ? [{ type: "tool_use", id: reply.id, name: "Bash", input }]
        : [{ type: "text", text: reply.text }];
    return Response.json(
      {
        id,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      },
      { headers },
    );
  }

  const events = [
    sseEvent("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
  ];
  if (reply.kind === "tool_use") {
    events.push(
      sseEvent("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: reply.id, name: "Bash", input: {} },
      }),
      sseEvent("content_block_delta", {
        index: 0,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(input) },
      }),
    );
  } else {
    events.push(
      sseEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      sseEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text: reply.text } }),
    );
  }
  events.push(
    sseEvent("content_block_stop", { index: 0 }),
    sseEvent("message_delta", {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 5 },
    }),
    sseEvent("message_stop", {}),
  );
  return new Response(events.join(""), {
    headers: { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

/** Starts the mock on 127.0.0.1 with a random port. */
export function startMockApi(commands: (string | BashInput)[] = []): MockApi {
  const toInput = (c: string | BashInput): BashInput =>
    typeof c === "string" ? { command: c, description: "e2e" } : c;
  const queue = commands.map(toInput);
  const log: RecordedRequest[] = [];
  const issued: IssuedToolUse[] = [];

  const decide = (body: unknown): Reply => {
    // A turn that answers our tool call, or a side request without the Bash tool, just ends.
    if (newToolResults(body).length > 0 || !offersBash(body)) return { kind: "text", text: "done" };
    const input = queue.shift();
    if (input === undefined) return { kind: "text", text: "done" };
    const id = `toolu_mock_${issued.length + 1}`;
    issued.push({ id, input });
    return { kind: "tool_use", id, input };
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const raw = await req.text();
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        // Keep the raw text for inspection.
      }
      log.push({ method: req.method, path, body });

      if (req.method === "POST" && path === "/v1/messages") {
        const b = asObject(body);
        const model = typeof b?.model === "string" ? b.model : "mock-model";
        return renderReply(decide(body), model, b?.stream === true);
      }
      if (req.method === "POST" && path === "/v1/messages/count_tokens") {
        return Response.json({ input_tokens: 100 });
      }
      return Response.json(
        {
          type: "error",
          error: { type: "not_found_error", message: `mock: no route ${req.method} ${path}` },
        },
        { status: 404 },
      );
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    enqueue: (...cmds) => {
      queue.push(...cmds.map(toInput));
    },
    requests: () => log,
    issued: () => issued,
    toolResults(since = 0) {
      const seen = new Set<string>();
      const out: ToolResult[] = [];
      for (const req of log.slice(since)) {
        for (const b of newToolResults(req.body)) {
          const toolUseId = typeof b.tool_use_id === "string" ? b.tool_use_id : "";
          if (seen.has(toolUseId)) continue;
          seen.add(toolUseId);
          out.push({ toolUseId, content: flattenContent(b.content), is_error: b.is_error === true });
        }
      }
      return out;
    },
    stop: () => {
      void server.stop(true);
    },
  };
}
