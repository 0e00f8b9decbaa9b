// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell command lines
// Unit tests of the pieces: tokenizer values and flags, verdict fields (offsets, spans, reasons),
// options (threshold, prefix), and the fast path's shared answer.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { globList } from "../../src/classify/args.ts";
import {
  classify,
  classifyFull,
  DEFAULT_PREFIX,
  FAMILY_RULES,
  mayContainBuild,
} from "../../src/classify/index.ts";
import {
  F_EXPANDS,
  F_GLOB,
  F_LEAD,
  F_QUOTED,
  F_SPLIT,
  F_TILDE,
  tokenize,
} from "../../src/classify/tokenize.ts";
import { P } from "./helpers.ts";

function words(line: string): [string, number][] {
  const r = tokenize(line);
  if (!r.ok) throw new Error(r.reason);
  return r.tokens.map((t) => (t.type === "word" ? [t.value, t.flags] : [`<${t.type}:${t.op}>`, -1]));
}

describe("tokenize", () => {
  test("quotes, escapes and values", () => {
    expect(words(`a 'b c' "d e" f\\ g`)).toEqual([
      ["a", 0],
      ["b c", F_QUOTED],
      ["d e", F_QUOTED],
      ["f g", F_QUOTED],
    ]);
    expect(words(`"a\\"b" "c\\d" "\\$x" 'e\\f'`)).toEqual([
      ['a"b', F_QUOTED],
      ["c\\d", F_QUOTED],
      ["$x", F_QUOTED],
      ["e\\f", F_QUOTED],
    ]);
    expect(words(`x''y ""`)).toEqual([
      ["xy", F_QUOTED],
      ["", F_QUOTED],
    ]);
  });

  test("expansion flags", () => {
    expect(words("$A")).toEqual([["$A", F_EXPANDS | F_LEAD | F_SPLIT]]);
    expect(words('"$A"')).toEqual([["$A", F_QUOTED | F_EXPANDS | F_LEAD]]);
    expect(words("x$A")).toEqual([["x$A", F_EXPANDS | F_SPLIT]]);
    expect(words("${HOME}/x")).toEqual([["${HOME}/x", F_EXPANDS | F_LEAD | F_SPLIT]]);
    expect(words("~/x")).toEqual([["~/x", F_EXPANDS | F_LEAD | F_TILDE]]);
    expect(words("a~")).toEqual([["a~", F_TILDE]]);
    expect(words("'~'")).toEqual([["~", F_QUOTED]]);
    expect(words("$ a$")).toEqual([
      ["$", 0],
      ["a$", 0],
    ]);
    expect(words("*.c a[1] {a,b}")).toEqual([
      ["*.c", F_GLOB],
      ["a[1]", F_GLOB],
      ["{a,b}", F_GLOB],
    ]);
    expect(words("'*.c'")).toEqual([["*.c", F_QUOTED]]);
  });

  test("operators, redirections, fd numbers, comments", () => {
    expect(words("a&&b||c;d&e|f|&g")).toEqual([
      ["a", 0],
      ["<op:&&>", -1],
      ["b", 0],
      ["<op:||>", -1],
      ["c", 0],
      ["<op:;>", -1],
      ["d", 0],
      ["<op:&>", -1],
      ["e", 0],
      ["<op:|>", -1],
      ["f", 0],
      ["<op:|&>", -1],
      ["g", 0],
    ]);
    expect(words("a 2>&1 >x >>y &>z <w 3<>v 12>u x2>t")).toEqual([
      ["a", 0],
      ["<redir:>&>", -1],
      ["1", 0],
      ["<redir:>>", -1],
      ["x", 0],
      ["<redir:>>>", -1],
      ["y", 0],
      ["<redir:&>>", -1],
      ["z", 0],
      ["<redir:<>", -1],
      ["w", 0],
      ["<redir:<>>", -1],
      ["v", 0],
      ["<redir:>>", -1],
      ["u", 0],
      ["x2", 0],
      ["<redir:>>", -1],
      ["t", 0],
    ]);
    const r = tokenize("a 12>u");
    expect(r.ok && r.tokens[1]).toMatchObject({ type: "redir", start: 2, end: 5 });
    expect(words("a #b c")).toEqual([["a", 0]]);
    expect(words("a#b")).toEqual([["a#b", 0]]);
    expect(words("a;#b")).toEqual([
      ["a", 0],
      ["<op:;>", -1],
    ]);
  });

  test("refusals are values, never exceptions", () => {
    for (const bad of [
      "'",
      '"',
      "\\",
      "a\nb",
      "$(x)",
      "`x`",
      "(",
      ")",
      "<<x",
      "<<<x",
      "a ;; b",
      "$'x'",
      "${a b}",
    ]) {
      const r = tokenize(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});

describe("verdicts", () => {
  test("offsets, text and span of each simple command", () => {
    const line = "cd app && RUST_BACKTRACE=1 cargo test 2>&1 | tail -40";
    const r = classify(line, { prefix: P });
    expect(r.kind).toBe("offload");
    expect(r.commands.map((c) => [c.text, c.offload])).toEqual([
      ["cd app", false],
      ["RUST_BACKTRACE=1 cargo test 2>&1", true],
      ["tail -40", false],
    ]);
    const c = r.commands[1]!;
    expect(line.slice(c.start, c.end)).toBe(c.text);
    expect(c.span).toEqual({ start: 10, end: 37 });
    expect(line.slice(c.span!.start, c.span!.end)).toBe("RUST_BACKTRACE=1 cargo test");
    expect(c.family).toBe("cargo");
    expect(c.confidence).toBe(0.95);
    expect(c.reason).toBe("cargo test");
    expect(r.commands[0]!.span).toBeUndefined();
    expect(r.commands[0]!.family).toBeUndefined();
  });

  test("local verdicts name the family and say why", () => {
    const r = classify("make -C dir install", { prefix: P });
    expect(r.kind).toBe("local");
    expect(r.commands[0]).toMatchObject({ offload: false, family: "make", confidence: 0 });
    expect(r.kind === "local" && r.reason).toContain("'install' is in the keep-local list");
    const s = classify("cat x | make");
    expect(s.kind === "local" && s.reason).toContain("right side of a pipe");
  });

  test("threshold", () => {
    expect(classify("cargo build", { threshold: 0.96 }).kind).toBe("local");
    expect(classify("cargo build", { threshold: 0.95 }).kind).toBe("offload");
    expect(classify("cargo b", { threshold: 0.9 }).kind).toBe("offload");
    const r = classify("cargo b", { threshold: 0.92 });
    expect(r.kind).toBe("local");
    expect(r.commands[0]).toMatchObject({ offload: false, confidence: 0.9 });
    expect(r.commands[0]!.reason).toContain("below the threshold 0.92");
  });

  test("a line containing the prefix itself is never wrapped again", () => {
    const prefix = "'/opt/bin/remote-build' exec -- ";
    expect(classify(`${prefix}cargo build`, { prefix }).kind).toBe("local");
    expect(classify(`cargo test && ${prefix}cargo build`, { prefix }).kind).toBe("local");
    expect(classify("cargo build", { prefix }).kind).toBe("offload");
  });

  test("default prefix", () => {
    const r = classify("cargo build");
    expect(r.kind === "offload" && r.rewritten).toBe(`${DEFAULT_PREFIX}cargo build`);
  });

  test("every family has a rule and names of its own", () => {
    const names = FAMILY_RULES.flatMap((r) => r.names);
    expect(new Set(names).size).toBe(names.length);
    const families: string[] = FAMILY_RULES.map((r) => r.family);
    expect(families.sort()).toEqual(["bun", "cargo", "cc", "cmake", "make", "meson", "ninja", "rustc"]);
  });
});

describe("fast path", () => {
  test("non-build lines get the shared frozen answer without tokenizing", () => {
    const a = classify("git status");
    const b = classify("ls -la | grep foo");
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({ kind: "local", reason: "no build command word", commands: [] });
  });

  test("candidates", () => {
    for (const yes of [
      "cargo",
      "x; make",
      "a|cc",
      "/usr/bin/gcc -c",
      "time\tclang++ x",
      "a&&ninja",
      "bun>x",
    ]) {
      expect(mayContainBuild(yes)).toBe(true);
    }
    for (const no of [
      "cargo-clippy",
      "gmake",
      "bunx",
      "access",
      "success",
      "(make)",
      '"cargo"',
      "g++-12",
      "cmakefile",
    ]) {
      expect(mayContainBuild(no)).toBe(false);
    }
  });

  test("classifyFull agrees on lines the fast path rejects", () => {
    for (const line of ["cargo-clippy", "gmake all", "(make)", '"cargo" build', "\\make", "echo access"]) {
      expect(classifyFull(line).kind).toBe("local");
    }
  });
});

describe("globList", () => {
  // The reading of a shell pattern list the matcher must keep: the whole word, `*` any run of
  // characters, case ignored — as the anchored, case-insensitive RegExp it replaced.
  const reference = (patterns: string[]) => {
    const alts = patterns.map((p) =>
      p
        .split("*")
        .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*"),
    );
    return new RegExp(`^(?:${alts.join("|")})$`, "i");
  };
  const piece = fc.constantFrom("in", "st", "all", "-", "_", "a", "x", "IN", "cl", "ean", ".", "");
  const word = fc.array(piece, { maxLength: 6 }).map((xs) => xs.join(""));
  const pattern = fc
    .array(fc.oneof(piece, fc.constant("*")), { minLength: 1, maxLength: 5 })
    .map((xs) => xs.join(""));

  test("matches exactly what the anchored case-insensitive RegExp matches", () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 4 }), word, (patterns, w) => {
        expect(globList(patterns)(w)).toBe(reference(patterns).test(w));
      }),
      { numRuns: 5000 },
    );
  });

  test("overlapping parts need room of their own", () => {
    const m = globList(["ab*ba", "*xx*xx*"]);
    expect([m("aba"), m("abba"), m("ABxBA"), m("xxx"), m("xxxx"), m("axxbxxc")]).toEqual([
      false,
      true,
      true,
      false,
      true,
      true,
    ]);
  });
});
