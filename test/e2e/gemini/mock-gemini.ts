// A scriptable mock of the Gemini API, enough to drive the real Gemini CLI offline: while calls are
// queued, every model turn asks for the next run_shell_command call; then it answers "done". One
// CLI run can so make several calls (Node start-up is ~3 s of each run on 2 cores). The CLI streams
// (`:streamGenerateContent?alt=sse`, one SSE event per answer); `:generateContent` is only used
// for internal side calls and gets the same object as plain JSON.
import * as v from "valibot";

/** run_shell_command's arguments as the model sends them. */
export interface ShellArgs {
  command: string;
  description?: string;
  dir_path?: string;
}

/** What the model received for one call: Gemini's output text, or the error of a blocked call. */
export interface FunctionResponse {
  output?: string;
  error?: string;
}

const Part = v.looseObject({
  functionResponse: v.optional(
    v.looseObject({
      name: v.optional(v.string()),
      response: v.optional(v.looseObject({ output: v.optional(v.string()), error: v.optional(v.string()) })),
    }),
  ),
});
const Body = v.looseObject({
  contents: v.optional(v.array(v.looseObject({ parts: v.optional(v.array(Part)) }))),
  tools: v.optional(
    v.array(
      v.looseObject({ functionDeclarations: v.optional(v.array(v.looseObject({ name: v.string() }))) }),
    ),
  ),
});
type Body = v.InferOutput<typeof Body>;

export interface MockGemini {
  readonly url: string;
  /** Queues calls, made one per model turn in order. */
  enqueue(...calls: ShellArgs[]): void;
  /** Function responses received since index `since` of the request log. */
  responses(since?: number): FunctionResponse[];
  /** Whether any request from `since` on offered run_shell_command to the model. */
  offeredShell(since?: number): boolean;
  requestCount(): number;
  stop(): void;
}

function answer(part: object, model: string): object {
  return {
    candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model,
  };
}

/** Side calls (routing, summaries) never offer the shell and never take a queued call. */
const offers = (b: Body): boolean =>
  (b.tools ?? []).some((t) => (t.functionDeclarations ?? []).some((d) => d.name === "run_shell_command"));

function newResponses(b: Body): FunctionResponse[] {
  const last = b.contents?.at(-1)?.parts ?? [];
  return last.flatMap((p) => (p.functionResponse ? [p.functionResponse.response ?? {}] : []));
}

export function startMockGemini(): MockGemini {
  const queue: ShellArgs[] = [];
  const log: Body[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const m = /\/models\/([^/:]+):(streamGenerateContent|generateContent)$/.exec(url.pathname);
      if (req.method !== "POST" || !m)
        return Response.json({ error: { code: 404, message: "mock: no route" } }, { status: 404 });
      const parsed = v.safeParse(Body, await req.json().catch(() => ({})));
      const body: Body = parsed.success ? parsed.output : {};
      log.push(body);
      const call = offers(body) ? queue.shift() : undefined;
      const part = call ? { functionCall: { name: "run_shell_command", args: call } } : { text: "done" };
      const json = answer(part, m[1]!);
      if (m[2] === "generateContent") return Response.json(json);
      return new Response(`data: ${JSON.stringify(json)}\r\n\r\n`, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    enqueue: (...calls) => {
      queue.push(...calls);
    },
    responses: (since = 0) => log.slice(since).flatMap(newResponses),
    offeredShell: (since = 0) => log.slice(since).some(offers),
    requestCount: () => log.length,
    stop: () => {
      void server.stop(true);
    },
  };
}
