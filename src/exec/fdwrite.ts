// Writes to our own stdout/stderr synchronously, in arrival order. Synchronous on purpose: the
// build's output must reach the agent in the order it was produced, and a slow reader should slow
// the stream down (backpressure) rather than buffer without bound in rch.
import { writeSync } from "node:fs";

/** Thrown when the reader of our output went away (EPIPE): like a local build, we stop. */
export class OutputClosedError extends Error {
  override name = "OutputClosedError";
}

export function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += writeSync(fd, chunk, off, chunk.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        Bun.sleepSync(1); // a non-blocking pipe that is full: wait for the reader
        continue;
      }
      if (code === "EPIPE") throw new OutputClosedError("output closed");
      throw e;
    }
  }
}
