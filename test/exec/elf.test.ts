// Returned executables are judged by ELF class and machine against the program running rch.
import { expect, test } from "bun:test";
import { foreignReason, identOf, identOfFile } from "../../src/transfer/elf.ts";

const header = (cls: number, data: number, machine: number) => {
  const h = new Uint8Array(20);
  h.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
  if (data === 2) h.set([machine >> 8, machine & 0xff], 18);
  else h.set([machine & 0xff, machine >> 8], 18);
  return h;
};

test("this machine's own format passes; another machine's, or another class, is named", () => {
  const mine = identOfFile(process.execPath);
  expect(mine).toBeDefined();
  expect(foreignReason("app", mine!)).toBeUndefined();
  const here =
    process.arch === "x64" ? "x86-64 (64-bit)" : process.arch === "arm64" ? "AArch64 (64-bit)" : "";
  const other = process.arch === "arm64" ? header(2, 1, 62) : header(2, 1, 183);
  const otherName = process.arch === "arm64" ? "x86-64 (64-bit)" : "AArch64 (64-bit)";
  expect(foreignReason("target/debug/app", identOf(other)!)).toBe(
    `target/debug/app is an executable for ${otherName}; this machine runs ${here}`,
  );
  // Same machine number, 32-bit class (an i386-style mismatch), and a big-endian header.
  const m = process.arch === "arm64" ? 183 : 62;
  expect(foreignReason("x", identOf(header(1, 1, m))!)).toContain("(32-bit)");
  expect(foreignReason("x", identOf(header(2, 2, 22))!)).toBe(
    `x is an executable for S/390 (64-bit); this machine runs ${here}`,
  );
});

test("not ELF: no ident", () => {
  expect(identOf(new TextEncoder().encode("#!/bin/sh\necho hi\n   "))).toBeUndefined();
  expect(identOf(new Uint8Array(4))).toBeUndefined();
  expect(identOfFile("/nonexistent/file")).toBeUndefined();
});
