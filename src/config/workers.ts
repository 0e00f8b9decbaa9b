// workers.toml: one [[workers]] entry per host. A broken entry is dropped (with an issue naming
// its line) rather than guessed at: sending a build to the wrong host is worse than not offloading.
import * as v from "valibot";
import { type WorkerConfig, workerKeys, workerSchema } from "./schema.ts";
import { type DocContext, issueAt, schemaMessage, suggest } from "./validate.ts";

export function validateWorkers(doc: Record<string, unknown>, ctx: DocContext): WorkerConfig[] {
  for (const key of Object.keys(doc)) {
    if (key !== "workers") issueAt(ctx, [key], "unknown key", "workers.toml holds only [[workers]] entries");
  }
  const raw = doc.workers;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issueAt(ctx, ["workers"], "must be an array of tables", "write each worker as a [[workers]] entry");
    return [];
  }
  const workers: WorkerConfig[] = [];
  const seen = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      issueAt(ctx, ["workers", index], "must be a table");
      return;
    }
    let ok = true;
    for (const key of Object.keys(entry)) {
      if (!workerKeys.includes(key)) {
        const near = suggest(key, workerKeys);
        issueAt(ctx, ["workers", index, key], "unknown key", near ? `did you mean '${near}'?` : undefined);
        ok = false;
      }
    }
    const result = v.safeParse(workerSchema, entry);
    if (!result.success) {
      for (const issue of result.issues) {
        const key = issue.path?.map((p) => String(p.key)) ?? [];
        const value = issue.path?.at(-1)?.value;
        const missing = value === undefined && issue.input === undefined;
        issueAt(
          ctx,
          ["workers", index, ...key],
          missing ? "is required" : schemaMessage([issue], issue.input),
          "this worker is ignored until it is fixed",
        );
      }
      return;
    }
    if (!ok) return;
    if (seen.has(result.output.id)) {
      issueAt(
        ctx,
        ["workers", index, "id"],
        `duplicate worker id '${result.output.id}'`,
        "ids must be unique",
      );
      return;
    }
    seen.add(result.output.id);
    workers.push(result.output);
  });
  return workers;
}
