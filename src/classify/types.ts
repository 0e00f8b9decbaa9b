// The classifier's public vocabulary. classify/ is pure: no I/O, no imports from the rest of rch.
import type { Family } from "./registry.ts";

/** A build family is declared in the registry (registry.ts) and nowhere else. */
export type { Family };

/** The verdict on one simple command of the line (for `rch classify` and debugging). */
export interface CommandVerdict {
  /** The simple command's source text, exactly as it appears in the line. */
  text: string;
  /** Offset of the first and one-past-last character of `text` in the line. */
  start: number;
  end: number;
  offload: boolean;
  family?: Family;
  /** 0..1; 0 when no rule matched. */
  confidence: number;
  /** Short human reason, e.g. "cargo build", "help flag --help keeps it local", "reads from a pipe". */
  reason: string;
  /**
   * Offsets of the span that gets the `rch exec -- ` prefix: from the first NAME=value assignment
   * or wrapper word to the end of the last argument word, excluding trailing redirections.
   */
  span?: { start: number; end: number };
}

export type Classification =
  | {
      kind: "local";
      /** Why the whole line stays local (structure problem or no build command). */
      reason: string;
      /** Per simple command verdicts, when the line got far enough to be split. */
      commands: CommandVerdict[];
    }
  | {
      kind: "offload";
      /** The line with each offloaded span prefixed by `opts.prefix`. */
      rewritten: string;
      commands: CommandVerdict[];
    };

export interface ClassifyOptions {
  /** Minimum confidence to offload; default 0.85. */
  threshold?: number;
  /** Text inserted before each offloaded span, e.g. `'/usr/local/bin/rch' exec -- `. */
  prefix?: string;
}
