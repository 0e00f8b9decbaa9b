// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell command lines
// Property tests (fast-check): quoted arguments never change the structure's decision, the fast
// path only rejects what the full classifier would keep local anyway, and rewrites insert the
// prefix and nothing else.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { classify, classifyFull, mayContainBuild } from "../../src/classify/index.ts";
import { FAMILY_NAMES } from "../../src/classify/rules.ts";
import { P } from "./helpers.ts";

/** Strings the line may not contain at all (they make the whole line local wherever they stand). */
const clean = (s: string) => !/[\n\r\0`]/.test(s) && !s.includes("$(");

const tricky = fc.constantFrom(
  "cargo build", "make install", "&&", ";", "|", "||", "&", "|&", ">", "<", "2>&1", "#", "# x", "'", '"',
  "\\", "$", "${x}", "$HOME", "{", "}", "(", ")", "<<EOF", "<(x)", "if", "!", "--", "-h", "--help", "-V",
  "--version", "--list", "-vV", "-u", "--fix", "--bless", "rch", "exec", "/usr/bin/rch", " ", "\t", "*",
  "\u00a0", "\u200b", "саrgo", "~", "=", "A=1", "", "é", "🦀",
); // biome-ignore format: vocabulary list

const payload = fc
  .oneof(fc.string({ unit: "binary", maxLength: 12 }), tricky, fc.string({ maxLength: 6 }))
  .filter(clean);

const singleQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const doubleQuote = (s: string) => `"${s.replace(/[\\"$`]/g, "\\$&")}"`;
const quoted = fc.tuple(payload, fc.boolean()).map(([s, single]) => ({
  value: s,
  text: single ? singleQuote(s) : doubleQuote(s),
}));

const basename = (v: string) => v.slice(v.lastIndexOf("/") + 1);
/** §3: a word naming rch followed later by `exec` means the line is already wrapped. */
const wrapped = (values: string[]) => {
  const i = values.findIndex((v) => basename(v) === "rch");
  return i >= 0 && values.slice(i + 1).includes("exec");
};
/** cargo's help/version spellings, and the harness flag `--bless` (cargo test keeps them local). */
const cargoLocalArg = (v: string) =>
  v === "-h" ||
  v === "-help" ||
  v.startsWith("--help") ||
  v.startsWith("--version") ||
  v === "-V" ||
  v === "--list" ||
  v === "--bless" ||
  v.startsWith("--bless=") ||
  (/^-[A-Za-z]+$/.test(v) && /[hV]/.test(v));

describe("properties", () => {
  test("quoted arguments to a non-build command never change the line's decision", () => {
    const base = fc.constantFrom("echo", "git commit -m", "grep -rn", "printf '%s'", "ls");
    fc.assert(
      fc.property(base, fc.array(quoted, { maxLength: 6 }), (cmd, args) => {
        const head = `${cmd} ${args.map((a) => a.text).join(" ")}`;
        expect(classify(head, { prefix: P }).kind).toBe("local");
        const line = `${head} && cargo build 2>&1`;
        const r = classify(line, { prefix: P });
        const at = line.length - "cargo build 2>&1".length;
        if (wrapped(args.map((a) => a.value))) expect(r.kind).toBe("local");
        else expect(r.kind === "offload" && r.rewritten).toBe(line.slice(0, at) + P + line.slice(at));
      }),
      { numRuns: 500 },
    );
  });

  test("quoted arguments to a build keep it offloaded unless they ask for help/version", () => {
    fc.assert(
      fc.property(
        fc.array(quoted, { maxLength: 6 }),
        fc.constantFrom("", " 2>&1 | tail", " ; ls"),
        (args, tail) => {
          const values = args.map((a) => a.value);
          const line = `cargo test ${args.map((a) => a.text).join(" ")}${tail}`;
          const r = classify(line, { prefix: P });
          const expectLocal = wrapped(["cargo", "test", ...values]) || values.some(cargoLocalArg);
          expect({ line, kind: r.kind }).toEqual({ line, kind: expectLocal ? "local" : "offload" });
          if (r.kind === "offload") expect(r.rewritten).toBe(P + line);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("lines without a family keyword take the fast path", () => {
    const noKeyword = fc
      .string({ unit: "binary", maxLength: 200 })
      .filter((s) => !FAMILY_NAMES.some((n) => s.includes(n)));
    const shared = classify("true");
    fc.assert(
      fc.property(noKeyword, (s) => {
        expect(classify(s)).toBe(shared);
      }),
      { numRuns: 2000 },
    );
  });

  const vocabLine = fc
    .array(fc.oneof(tricky, fc.constantFrom(...FAMILY_NAMES), fc.constantFrom(" ", " ", "/", "x")), {
      maxLength: 14,
    })
    .map((parts) => parts.join(""));

  /** Chains of realistic simple commands, with noise: many of these offload something. */
  const segment = fc.constantFrom(
    "cargo build", "A=1 cargo test --release", "make -j4", "time make all", "ls -la", "echo 'a b'", "cd x",
    "gcc -c a.c", "cargo fmt", "make install", "cat x", "bun test", "env X=1 ninja -C b", "rustc m.rs",
    "nice -n 5 cargo check", "cmake --build build", "meson compile -C b", "sudo make", "grep -q x y",
  ); // biome-ignore format: vocabulary list
  const joiner = fc.constantFrom(" && ", "; ", " | ", " || ", " & ", " |& ", "&&", ";");
  const tail = fc.constantFrom("", " 2>&1", " >log", " # note", " 2>/dev/null", " x", " >log y");
  const chainLine = fc
    .array(
      fc.tuple(
        segment,
        fc.array(
          fc.oneof(
            quoted.map((q) => q.text),
            tricky,
          ),
          { maxLength: 2 },
        ),
        tail,
        joiner,
      ),
      {
        minLength: 1,
        maxLength: 5,
      },
    )
    .map((parts) =>
      parts
        .map(
          ([seg, args, t, j], k) =>
            `${seg}${args.map((a) => ` ${a}`).join("")}${t}${k < parts.length - 1 ? j : ""}`,
        )
        .join(""),
    );
  const anyLine = fc.oneof(vocabLine, chainLine);

  test("the fast path rejects only lines the full classifier keeps local", () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const full = classifyFull(line, { prefix: P });
        if (!mayContainBuild(line)) expect(full.kind).toBe("local");
        expect(classify(line, { prefix: P })).toEqual(
          full.kind === "local" && !mayContainBuild(line) ? classify("true") : full,
        );
      }),
      { numRuns: 3000 },
    );
  });

  test("a rewrite only inserts the prefix, and is never wrapped twice", () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const r = classify(line, { prefix: P });
        if (r.kind !== "offload") return;
        expect(r.rewritten.replaceAll(P, "")).toBe(line.replaceAll(P, ""));
        const spans = r.commands.filter((c) => c.offload).length;
        expect(r.rewritten.length).toBe(line.length + spans * P.length);
        expect(classify(r.rewritten, { prefix: P }).kind).toBe("local");
      }),
      { numRuns: 3000 },
    );
  });

  test("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), vocabLine), (s) => {
        const r = classify(`cargo build ${s}`);
        expect(["local", "offload"]).toContain(r.kind);
        classify(s);
      }),
      { numRuns: 3000 },
    );
  });
});
