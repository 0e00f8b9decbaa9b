// readSmallFile: only a regular file of bounded size is read; anything that could block (a FIFO
// with no writer) or never end (a character device) is an answer, not a hang.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSmallFile, readSmallText, smallText } from "../../src/config/smallFile.ts";

const dir = mkdtempSync(join(tmpdir(), "rch-small-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mkfifo(path: string): void {
  const r = Bun.spawnSync(["mkfifo", path]);
  if (r.exitCode !== 0) throw new Error(`mkfifo failed: ${r.stderr.toString()}`);
}

describe("readSmallFile", () => {
  test("a regular file: its bytes", () => {
    writeFileSync(join(dir, "a.toml"), "x = 1\n");
    expect(smallText(join(dir, "a.toml"))).toBe("x = 1\n");
  });

  test("absent (or a path through a file): absent", () => {
    expect(readSmallFile(join(dir, "nope")).kind).toBe("absent");
    writeFileSync(join(dir, "plain"), "");
    expect(readSmallFile(join(dir, "plain", "below")).kind).toBe("absent");
  });

  test("a FIFO nobody writes to: unreadable at once, not a hang", () => {
    mkfifo(join(dir, "fifo.toml"));
    const r = readSmallFile(join(dir, "fifo.toml"));
    expect(r).toEqual({ kind: "unreadable", reason: "not a regular file (a FIFO)" });
  });

  test("a symlink to a character device that never ends: unreadable", () => {
    symlinkSync("/dev/zero", join(dir, "zero.toml"));
    expect(readSmallFile(join(dir, "zero.toml"))).toEqual({
      kind: "unreadable",
      reason: "not a regular file (a character device)",
    });
  });

  test("a directory: unreadable", () => {
    mkdirSync(join(dir, "d.toml"));
    expect(readSmallFile(join(dir, "d.toml")).kind).toBe("unreadable");
  });

  test("a file over the bound: unreadable, and nothing of it is read", () => {
    writeFileSync(join(dir, "big.toml"), "x".repeat(2000));
    expect(readSmallFile(join(dir, "big.toml"), 1000)).toEqual({
      kind: "unreadable",
      reason: "larger than 1000 bytes",
    });
  });
});

describe("readSmallText", () => {
  test("the same text as readSmallFile's bytes decoded by Buffer: BOM kept, bad bytes replaced", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0x0a]);
    writeFileSync(join(dir, "t.json"), bytes);
    const r = readSmallText(join(dir, "t.json"));
    const f = readSmallFile(join(dir, "t.json"));
    expect(f.kind).toBe("file");
    expect(r).toEqual({ kind: "text", text: f.kind === "file" ? f.bytes.toString("utf8") : "" });
    expect(r.kind === "text" && r.text.startsWith("\uFEFFaé")).toBe(true);
  });

  test("absent, FIFO, over the bound: as readSmallFile", () => {
    expect(readSmallText(join(dir, "nope")).kind).toBe("absent");
    mkfifo(join(dir, "fifo2.json"));
    expect(readSmallText(join(dir, "fifo2.json"))).toEqual({
      kind: "unreadable",
      reason: "not a regular file (a FIFO)",
    });
    writeFileSync(join(dir, "big.json"), "x".repeat(2000));
    expect(readSmallText(join(dir, "big.json"), 1000)).toEqual({
      kind: "unreadable",
      reason: "larger than 1000 bytes",
    });
  });
});
