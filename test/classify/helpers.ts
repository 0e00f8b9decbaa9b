// Shared helpers for the classifier tests: a compact notation for expected decisions.

import { expect } from "bun:test";
import { classify } from "../../src/classify/index.ts";

/** The prefix the hook would insert (absolute path, shell-quoted). */
export const P = "'/abs/rch' exec -- ";

/** Marks where the prefix must be inserted in an expected offload line. */
export const MARK = "⟪";

export interface Case {
  /** The command line (markers removed). */
  line: string;
  /** Expected rewrite, or null when the line must stay local. */
  rewrite: string | null;
  /** Optional substring the (line or first family command) reason must contain. */
  reason?: string;
}

/** An offloaded line: write it with ⟪ where the prefix goes. */
export function o(marked: string): Case {
  if (!marked.includes(MARK)) throw new Error(`offload case without marker: ${marked}`);
  return { line: marked.replaceAll(MARK, ""), rewrite: marked.replaceAll(MARK, P) };
}

/** A line that must stay local (optionally with a reason substring). */
export function l(line: string, reason?: string): Case {
  return reason === undefined ? { line, rewrite: null } : { line, rewrite: null, reason };
}

export function check(c: Case): void {
  const r = classify(c.line, { prefix: P });
  if (c.rewrite === null) {
    expect({ line: c.line, kind: r.kind }).toEqual({ line: c.line, kind: "local" });
    if (c.reason !== undefined && r.kind === "local") {
      const reasons = [r.reason, ...r.commands.map((v) => v.reason)].join(" | ");
      expect(reasons).toContain(c.reason);
    }
  } else {
    expect({ line: c.line, kind: r.kind }).toEqual({ line: c.line, kind: "offload" });
    if (r.kind === "offload") expect(r.rewritten).toBe(c.rewrite);
  }
}

/** Short printable name for a test title. */
export function title(c: Case): string {
  const s = JSON.stringify(c.line);
  return `${c.rewrite === null ? "local  " : "offload"} ${s.length > 90 ? `${s.slice(0, 87)}..."` : s}`;
}
