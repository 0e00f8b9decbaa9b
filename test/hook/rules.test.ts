import { describe, expect, test } from "bun:test";
import { allowedWithoutPrompt } from "../../src/hook/permissions.ts";
import { matchBashRule } from "../../src/hook/rules.ts";

describe("Bash permission rules", () => {
  const cases: [string, string, string][] = [
    ["Bash", "anything at all", "match"],
    ["Bash(make)", "make", "match"],
    ["Bash(make)", "make all", "no-match"],
    ["Bash(make:*)", "make", "match"],
    ["Bash(make:*)", "make -j4 all", "match"],
    ["Bash(make:*)", "makefoo", "no-match"],
    ["Bash(make *)", "make -C dir hello", "match"],
    ["Bash(cargo build:*)", "cargo build --release", "match"],
    ["Bash(cargo build:*)", "cargo buildx", "no-match"],
    ["Bash(cargo build:*)", "cargo test", "no-match"],
    ["Bash(cargo * --release)", "cargo build --release", "unknown"],
    ["Read(./src)", "make", "no-match"],
  ];
  for (const [rule, cmd, want] of cases) {
    test(`${rule} vs ${cmd} → ${want}`, () => expect(matchBashRule(rule, cmd)).toBe(want as never));
  }
});

describe("allowedWithoutPrompt", () => {
  const rules = (allow: string[], deny: string[] = [], ask: string[] = []) => ({ allow, deny, ask });
  test("every simple command must match an allow rule", () => {
    expect(allowedWithoutPrompt(rules(["Bash(cargo build:*)"]), ["cargo build"])).toBe(true);
    expect(allowedWithoutPrompt(rules(["Bash(cargo build:*)"]), ["cargo build", "rm -rf x"])).toBe(false);
  });
  test("a matching deny or ask rule wins", () => {
    expect(allowedWithoutPrompt(rules(["Bash(make:*)"], ["Bash(make -C:*)"]), ["make -C x"])).toBe(false);
    expect(allowedWithoutPrompt(rules(["Bash(make:*)"], [], ["Bash(make install)"]), ["make install"])).toBe(
      false,
    );
  });
  test("a deny rule rch cannot interpret means no decision", () => {
    expect(allowedWithoutPrompt(rules(["Bash(make:*)"], ["Bash(* --force)"]), ["make all"])).toBe(false);
  });
  test("no commands, no allow", () => {
    expect(allowedWithoutPrompt(rules(["Bash"]), [])).toBe(false);
  });
});
