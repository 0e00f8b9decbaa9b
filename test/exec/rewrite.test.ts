// Remote project paths in the output become local ones, however the stream is chunked.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { PathRewriter } from "../../src/exec/rewrite.ts";

const REMOTE = "/home/w/.cache/rch/projects/app-0123456789ab";
const PHYS = "/mnt/ssd/w/.cache/rch/projects/app-0123456789ab";
const LOCAL = "/home/me/src/app";

function collect(chunks: string[], hold = 1000): string {
  const out: Buffer[] = [];
  const rw = new PathRewriter((c) => out.push(Buffer.from(c)), hold);
  rw.setPairs([
    [REMOTE, LOCAL],
    [PHYS, LOCAL],
  ]);
  for (const c of chunks) rw.write(Buffer.from(c));
  rw.flush();
  return Buffer.concat(out).toString();
}

const expected = (s: string) => s.replaceAll(PHYS, LOCAL).replaceAll(REMOTE, LOCAL);

test("a path split at every possible byte is still rewritten", () => {
  const text = `   Compiling app v0.1.0 (${REMOTE})\nerror at ${PHYS}/src/main.rs:3\n`;
  for (let i = 0; i <= text.length; i++) {
    expect(collect([text.slice(0, i), text.slice(i)])).toBe(expected(text));
  }
});

test("property: any text, any chunking (fast-check)", () => {
  const piece = fc.oneof(
    fc.string(),
    fc.constant(REMOTE),
    fc.constant(PHYS),
    fc.constant("/home/w/.cache/r"),
    fc.constant("é→✓\n"),
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 12 }),
      fc.array(fc.nat(400), { maxLength: 8 }),
      (pieces, cuts) => {
        const text = pieces.join("");
        const bytes = Buffer.from(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        const bufChunks: Buffer[] = [];
        for (const p of [...points, bytes.length]) {
          bufChunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        const out: Buffer[] = [];
        const rw = new PathRewriter((c) => out.push(Buffer.from(c)), 1000);
        rw.setPairs([
          [REMOTE, LOCAL],
          [PHYS, LOCAL],
        ]);
        for (const c of bufChunks) rw.write(c);
        rw.flush();
        void chunks;
        expect(Buffer.concat(out).toString()).toBe(expected(text));
      },
    ),
    { numRuns: 500 },
  );
});

test("held-back bytes are released after maxHoldMs, even with no more input", async () => {
  const out: string[] = [];
  const rw = new PathRewriter((c) => out.push(Buffer.from(c).toString()), 20);
  rw.setPairs([[REMOTE, LOCAL]]);
  rw.write(Buffer.from("prompt /home/w/"));
  expect(out.join("")).toBe("prompt ");
  await Bun.sleep(60);
  expect(out.join("")).toBe("prompt /home/w/");
});

test("without pairs the stream passes through untouched", () => {
  const out: Uint8Array[] = [];
  const rw = new PathRewriter((c) => out.push(c));
  const chunk = Buffer.from("abc");
  rw.write(chunk);
  expect(out[0]).toBe(chunk);
});
