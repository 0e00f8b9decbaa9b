// Lease and job ids: a random per-daemon prefix plus a counter. Unique within a daemon, never
// reused by the next one (an id held by a client of a dead daemon means nothing to a new one),
// and cheaper than random bytes per request.
import { randomBytes } from "node:crypto";

const prefix = randomBytes(4).toString("hex");
let counter = 0;

export function newId(kind: "l" | "j"): string {
  counter++;
  return `${kind}-${prefix}-${counter.toString(36)}`;
}
