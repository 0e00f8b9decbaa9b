// The family registry is the only place families are declared: every consumer — the classifier's
// rules and fast path, the hook's sh prefilter, the worker probe, the exec plan — must agree with
// it, and none may keep a list of its own.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import {
  COMMAND_NAMES,
  classifyFull,
  FAMILIES,
  FAMILY_LIST,
  FAMILY_RULES,
  type Family,
  familyNamed,
  mayContainBuild,
  PROBE_TOOLS,
} from "../../src/classify/index.ts";
import { planFamily } from "../../src/exec/family.ts";
import { PREFILTER_KEYWORDS, prefilterCommand } from "../../src/hook/prefilter.ts";
import { probedTools } from "../../src/ssh/probe.ts";

const SRC = resolve(import.meta.dir, "../../src");
const every = FAMILY_LIST.flatMap((family) => FAMILIES[family].names.map((name) => ({ family, name })));
const root = mkdtempSync(join(tmpdir(), "rch-registry-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the registry itself", () => {
  test("a command name belongs to one family at most", () => {
    expect(new Set(COMMAND_NAMES).size).toBe(every.length);
    for (const { family, name } of every) expect(familyNamed(name)).toBe(family);
    for (const stranger of ["bunx", "gmake", "cargo-clippy", "gcc-12", "./build.sh", ""])
      expect(familyNamed(stranger)).toBeUndefined();
  });
});

describe("every consumer agrees with the registry", () => {
  test("the classifier's rules table is the registry's families, names and judges", () => {
    expect(FAMILY_RULES.map((r) => r.family)).toEqual([...FAMILY_LIST]);
    for (const r of FAMILY_RULES) {
      expect(r.names).toEqual(FAMILIES[r.family].names);
      expect(r.judge).toBe(FAMILIES[r.family].judge);
    }
  });

  test("the classifier files each command name under its registry family", () => {
    for (const { family, name } of every) {
      for (const word of [name, `/usr/bin/${name}`]) {
        expect(mayContainBuild(`${word} x`)).toBe(true);
        const r = classifyFull(`${word} --version`); // always local, but named
        expect({ word, family: r.commands[0]?.family }).toEqual({ word, family });
      }
    }
  });

  test("prefilter keywords are exactly every family's command names", () => {
    expect([...PREFILTER_KEYWORDS].sort()).toEqual(every.map((e) => e.name).sort());
  });

  test("the installed sh prefilter lets every command name through, and bunx/gmake not", () => {
    // `exec '/bin/echo' hook <<…` prints "hook" when the prefilter lets the line through.
    const cmd = prefilterCommand(["/bin/echo"]);
    const through = (line: string) => {
      const json = JSON.stringify({ tool_name: "Bash", tool_input: { command: line } });
      const r = Bun.spawnSync(["/bin/sh", "-c", cmd], { stdin: Buffer.from(`${json}\n`), timeout: 10_000 });
      return r.stdout.toString().trim() === "hook";
    };
    for (const { name } of every)
      expect({ name, through: through(`${name} build`) }).toEqual({ name, through: true });
    for (const name of ["bunx", "gmake"])
      expect({ name, through: through(`${name} x`) }).toEqual({ name, through: false });
  });

  test("the probe reports every family's tools (and rsync)", () => {
    const probed = probedTools(PROBE_TOOLS);
    for (const family of FAMILY_LIST)
      for (const tool of FAMILIES[family].probeTools) expect(probed).toContain(tool);
    expect(probed).toContain("meson");
    expect(probed).toContain("rsync");
    expect(new Set(probed).size).toBe(probed.length);
    expect([...PROBE_TOOLS]).toEqual([...new Set(FAMILY_LIST.flatMap((f) => FAMILIES[f].probeTools))]);
  });

  test("planFamily maps every command name to its registry family and that family's outputs", () => {
    const ctx = { root, cwd: root, env: {} };
    for (const { family, name } of every) {
      for (const word of [name, `/usr/bin/${name}`]) {
        const plan = planFamily([word], ctx);
        const { kind, outputs } = FAMILIES[family].exec;
        expect({ word, family: plan.family }).toEqual({ word, family });
        expect(plan.kind.startsWith(kind.label)).toBe(true);
        expect(plan.trackInTree).toBe(true); // cargo too: a Cargo.lock beside its target dir
        expect(plan.sharesCopy).toBe(outputs.kind === "cargo-target");
        expect(plan.bunDir !== undefined).toBe(outputs.kind === "bun-package");
        expect(plan.outputDirs.length > 0).toBe(outputs.kind === "cargo-target");
      }
    }
  });

  test("a command in no family is an 'other' in-tree build named after itself", () => {
    const ctx = { root, cwd: root, env: {} };
    for (const word of ["bunx", "gmake", "./build.sh", "/opt/bin/gcc-12"]) {
      const plan = planFamily([word, "all"], ctx);
      expect(plan).toMatchObject({ family: "other", trackInTree: true, outputDirs: [], excludes: [] });
      expect(plan.kind).toBe(word.slice(word.lastIndexOf("/") + 1));
      expect(plan.bunDir).toBeUndefined();
    }
  });

  test("kinds come from the registry's label and subcommand rules", () => {
    const ctx = { root, cwd: root, env: {} };
    const kind = (...argv: string[]) => planFamily(argv, ctx).kind;
    expect(kind("cargo", "+nightly", "--manifest-path", "x/Cargo.toml", "t")).toBe("cargo test");
    expect(kind("cargo", "--color", "always", "-Zunstable-options", "b", "--release")).toBe("cargo build");
    expect(kind("cargo")).toBe("cargo");
    expect(kind("bun", "--silent", "test")).toBe("bun test");
    expect(kind("meson", "compile", "-C", "build")).toBe("meson compile");
    expect(kind("clang++", "-c", "a.cc")).toBe("cc");
  });
});

describe("no consumer keeps its own list", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  const sources = files(SRC).map((f) => ({ path: relative(SRC, f), text: readFileSync(f, "utf8") }));
  const known = new Set<string>([...COMMAND_NAMES, ...FAMILY_LIST, "bunx", "gmake"]);

  test("outside classify/, no source file spells two family or command names as string literals", () => {
    const offenders: string[] = [];
    for (const { path, text } of sources) {
      if (path.startsWith("classify/")) continue;
      // toolchain/ reads what toolchains are made of (a toolchain dir's bin/rustc and bin/cargo,
      // a build dir's recorded meson and ninja): files, not a second list of families.
      if (path.startsWith("toolchain/")) continue;
      const literals = [...text.matchAll(/"([^"\n]*)"/g)].map((m) => m[1]!).filter((s) => known.has(s));
      if (new Set(literals).size >= 2) offenders.push(`${path}: ${[...new Set(literals)].join(", ")}`);
    }
    expect(offenders).toEqual([]);
  });

  test("dependency rule: classify/ imports nothing else of rch, ssh/ imports no classify/", () => {
    const imports = (text: string) => [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
    for (const { path, text } of sources) {
      const dir = path.slice(0, path.indexOf("/"));
      for (const spec of imports(text).filter((s) => s.startsWith("."))) {
        const target = relative(SRC, resolve(SRC, path, "..", spec));
        if (dir === "classify")
          expect({ path, target: target.startsWith("classify/") }).toEqual({ path, target: true });
        if (dir === "ssh")
          expect({ path, target: target.startsWith("classify/") }).toEqual({ path, target: false });
      }
    }
  });
});

// The type follows the table: a family that is not declared does not type-check.
const _typed: Family[] = ["cargo", "meson"];
void _typed;
