import { expect, test } from "bun:test";
import { type EndInfo, type StartInfo, StderrDemux } from "../../src/exec/markers.ts";

function demux(chunks: (string | Buffer)[]) {
  const out: Buffer[] = [];
  let start: StartInfo | undefined;
  let end: EndInfo | undefined;
  const d = new StderrDemux("cafe0001", (c) => out.push(Buffer.from(c)), {
    onStart: (s) => {
      start = s;
    },
    onEnd: (e) => {
      end = e;
    },
  });
  for (const c of chunks) d.write(Buffer.from(c));
  d.finish();
  return { out: Buffer.concat(out).toString(), start, end, preamble: d.preamble };
}

const START = "\x1erch-start-cafe0001 4242\t/home/w/p-1\t/real/w/p-1\n";
const END = "\x1erch-exit-cafe0001 101 cu 1\n";

test("markers are stripped at any split; the build's stderr is kept byte for byte", () => {
  const text = `motd noise\n${START}warning: x\npartial line${END}`;
  for (let i = 0; i <= text.length; i++) {
    const r = demux([text.slice(0, i), text.slice(i)]);
    expect(r.out).toBe("warning: x\npartial line");
    expect(r.preamble).toBe("motd noise\n");
    expect(r.start).toEqual({ pgid: 4242, dir: "/home/w/p-1", physicalDir: "/real/w/p-1" });
    expect(r.end).toEqual({ exitCode: 101, outputs: "cu", newFiles: true, gone: [], executables: [] });
  }
});

test("a marker with another nonce, or a lone \\x1e, is ordinary output", () => {
  const fake = "\x1erch-exit-deadbeef 0 - 0\n";
  const r = demux([START, `a\x1eb${fake}`, "\x1e"]);
  expect(r.out).toBe(`a\x1eb${fake}\x1e`);
  expect(r.end).toBeUndefined();
});

test("no start marker: everything is preamble, nothing is output", () => {
  const r = demux(["ssh: connect to host x port 22: Connection refused\n"]);
  expect(r.out).toBe("");
  expect(r.start).toBeUndefined();
  expect(r.preamble).toContain("Connection refused");
});

test("gone and exe notes before the end marker are parsed at any split, and never reach the output", () => {
  const notes =
    "\x1erch-gone-cafe0001 target/debug/deps/lib old.rlib\n" +
    "\x1erch-exe-cafe0001 2 1 183 0 target/debug/app\n" +
    "\x1erch-exe-cafe0001 garbage\n";
  const text = `${START}late output\n${notes}more\n${END}`;
  for (let i = 0; i <= text.length; i++) {
    const r = demux([text.slice(0, i), text.slice(i)]);
    expect(r.out).toBe("late output\nmore\n");
    expect(r.end).toEqual({
      exitCode: 101,
      outputs: "cu",
      newFiles: true,
      gone: ["target/debug/deps/lib old.rlib"],
      executables: [{ path: "target/debug/app", ident: [2, 1, 183, 0] }],
    });
  }
});
