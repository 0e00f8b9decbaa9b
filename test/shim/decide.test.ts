// What decides: `rch shim decide` (the compiled binary, the hook's classifier and switches) and
// the sh in front of it, which may only ever say "local" where the classifier says so too.
import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { COMMAND_NAMES, classify, FAMILIES, familyNamed } from "../../src/classify/index.ts";
import { argvLine } from "../../src/shim/decide.ts";
import { installShims as installWith } from "../../src/shim/install.ts";
import { DECIDE_LOCAL, DECIDE_OFFLOAD } from "../../src/shim/wrapper.ts";
import { ensureRchBuilt } from "../support/rch-binary.ts";
import { isolatedEnv, rch, runIn, Scratch, SHELLS } from "./support.ts";

let s: Scratch;
afterEach(() => s?.dispose());

test("rch shim decide answers with the hook's classifier and switches, by exit status alone", async () => {
  s = new Scratch();
  const env = isolatedEnv(s, "/usr/bin:/bin");
  const cases: [string[], Record<string, string>, number][] = [
    [["make", "all"], {}, DECIDE_OFFLOAD],
    [["make", "install"], {}, DECIDE_LOCAL],
    [["cargo", "build", "--release"], {}, DECIDE_OFFLOAD],
    [["cargo", "metadata", "--format-version", "1"], {}, DECIDE_LOCAL],
    [["cc", "-c", "a b.c"], {}, DECIDE_OFFLOAD],
    [["cc", "-E", "-"], {}, DECIDE_LOCAL],
    [["cargo", "build"], { RCH_BYPASS: "1" }, DECIDE_LOCAL],
    [["cargo", "build"], { RCH_ENABLED: "false" }, DECIDE_LOCAL],
    [[], {}, DECIDE_LOCAL],
  ];
  for (const [argv, extra, code] of cases) {
    const r = await rch(["shim", "decide", ...argv], { cwd: s.root, env: { ...env, ...extra } });
    expect({ argv, extra, code: r.code, out: r.stdout + r.stderr }).toEqual({ argv, extra, code, out: "" });
  }
  // A word that is not UTF-8 could not travel through rch exec unchanged: the real tool gets it.
  const bytes = await runIn(
    ["sh", "-c", `"$0" shim decide make all "$(printf 'a\\377b')"`, await ensureRchBuilt()],
    {
      cwd: s.root,
      env,
    },
  );
  expect(bytes.code).toBe(DECIDE_LOCAL);
  writeFileSync(join(env.RCH_CONFIG_DIR!, "config.toml"), "[general]\nenabled = false\n");
  expect((await rch(["shim", "decide", "make"], { cwd: s.root, env })).code).toBe(DECIDE_LOCAL);
});

/** Shims whose "rch" only notes that it was asked (and says local): did the sh decide alone? */
function spyShims(): { dir: string; asked: (tool: string, args: string[], sh: string) => Promise<boolean> } {
  const log = s.path("asked.log");
  const spy = s.script("spy", "rch", `echo asked >> '${log}'\nexit ${DECIDE_LOCAL}\n`);
  const dir = s.path("shim");
  installWith(dir, [spy]);
  const env = isolatedEnv(s, `${dir}:${s.path("bin")}`);
  // Every tool name resolves to the same silent stand-in.
  for (const name of COMMAND_NAMES) s.script("bin", name, "exit 0\n");
  return {
    dir,
    asked: async (tool, args, sh) => {
      writeFileSync(log, "");
      const r = await runIn([sh, join(dir, tool), ...args], { cwd: s.root, env });
      if (r.code !== 0) throw new Error(`shim exited ${r.code}: ${r.stderr}`);
      return existsSync(log) && readFileSync(log, "utf8") !== "";
    },
  };
}

test("every help/version word of the registry is settled in sh, under dash and bash", async () => {
  s = new Scratch();
  const { asked } = spyShims();
  for (const sh of SHELLS) {
    for (const tool of COMMAND_NAMES) {
      const help = FAMILIES[familyNamed(tool)!].help;
      for (const w of ["--version", "--help", "-h", ...(help.words ?? [])]) {
        expect({ sh, tool, w, asked: await asked(tool, ["build", w], sh) }).toEqual({
          sh,
          tool,
          w,
          asked: false,
        });
      }
      // Anything else goes to rch.
      expect({ sh, tool, asked: await asked(tool, ["x"], sh) }).toEqual({ sh, tool, asked: true });
    }
  }
});

test("the sh says local only where the classifier says local (random argvs)", async () => {
  s = new Scratch();
  const { asked } = spyShims();
  const word = fc.oneof(
    fc.constantFrom("--version", "--help=all", "-V", "-vV", "-hx", "-xV", "-v", "--list", "-h", "-help", "-"),
    fc.constantFrom("build", "test", "all", "-C", "x", "--", "--release", "-j4", "-Vx1", "-V-", "--versio"),
    fc.string({ maxLength: 6 }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...COMMAND_NAMES),
      fc.array(word, { maxLength: 4 }),
      async (tool, args) => {
        if (args.some((a) => a.includes("\0"))) return; // cannot be an argument at all
        const settled = !(await asked(tool, args, SHELLS[0]!));
        if (settled) expect(classify(argvLine([tool, ...args])).kind).toBe("local");
      },
    ),
    { numRuns: 150 },
  );
});

test("every shim passes shellcheck -s sh", async () => {
  s = new Scratch();
  const dir = s.path("it's a dir");
  installWith(dir, ["/opt/r c h/it's/rch"]);
  const r = await runIn(["shellcheck", "-s", "sh", ...COMMAND_NAMES.map((n) => join(dir, n))], {
    cwd: s.root,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.code).toBe(0);
});
