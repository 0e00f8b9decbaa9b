// The shims as processes: real dash and bash running the installed scripts, a fake "real tool"
// later in PATH reporting what it got. Covers argv byte for byte, exit codes and signals (the
// tool is exec'd: same pid), non-recursion, the missing tool, and fail-open when rch is gone.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installShims as installWith } from "../../src/shim/install.ts";
import { killGroup, start, waitFor } from "../exec-scenarios/proc.ts";
import { ensureRchBuilt } from "../support/rch-binary.ts";
import { fakeReport, installShims, isolatedEnv, runIn, Scratch, SHELLS } from "./support.ts";

let s: Scratch;
afterEach(() => s?.dispose());

/** Scratch with shims in <root>/shim and the fake make and cc in <root>/bin. */
async function setup(): Promise<{ shim: string; bin: string }> {
  s = new Scratch();
  const shim = await installShims(s, s.path("shim"));
  const bin = s.dir("bin");
  s.fakeTool("bin", "make");
  s.fakeTool("bin", "cc");
  return { shim, bin };
}

const WEIRD = [
  "a b",
  "it's",
  '"dq"',
  "*",
  "?",
  "[ab]",
  "$HOME",
  "`id`",
  "back\\slash",
  "",
  "-",
  "é ü",
  "x\ty",
];

describe.each(SHELLS)("under %s", (sh) => {
  test("argv reaches the real tool byte for byte, on every path (sh, nested, rch says local, rch exec)", async () => {
    const { shim, bin } = await setup();
    const env = isolatedEnv(s, `${shim}:${bin}:/usr/bin:/bin`);
    const cases: { args: string[]; extra?: Record<string, string>; nested: RegExp }[] = [
      { args: ["--version", ...WEIRD], nested: /^shim:\d+$/ }, // decided in sh
      { args: ["all", ...WEIRD], extra: { RCH_NESTED: "1" }, nested: /^shim:\d+$/ }, // marker
      { args: ["install", ...WEIRD], nested: /^shim:\d+$/ }, // rch: install stays local
      // rch exec (no workers: it runs the build here, marked by rch exec). A backquote anywhere
      // keeps a line local, and so do make targets "" and "-": those words are left out here.
      { args: ["all", ...WEIRD.filter((w) => !["`id`", "", "-"].includes(w))], nested: /^1$/ },
      { args: ["all", ...WEIRD], nested: /^shim:\d+$/ },
      { args: ["all", "two\nlines"], nested: /^shim:\d+$/ }, // a newline keeps the line local
    ];
    for (const c of cases) {
      const r = await runIn([sh, join(shim, "make"), ...c.args], {
        cwd: s.root,
        env: { ...env, ...c.extra },
      });
      expect(r.stderr).toBe("");
      const rep = fakeReport(r.stdout);
      expect(rep.args).toEqual(c.args);
      expect(rep.nested).toMatch(c.nested);
      // The tool and its children never see the shim dir again; the rest of PATH is untouched.
      expect(rep.path).toBe(`${bin}:/usr/bin:/bin`);
      expect(r.code).toBe(0);
    }
  });

  test("argv[0] too: the real tool is started by its name, as a shell starts it", async () => {
    const { shim } = await setup();
    const bin = s.dir("cbin");
    const src = s.path("argv.c");
    writeFileSync(
      src,
      '#include <stdio.h>\nint main(int c, char **v) { for (int i = 0; i < c; i++) printf("%s|", v[i]); return 0; }\n',
    );
    const cc = await runIn(["/usr/bin/cc", "-o", join(bin, "make"), src], {
      cwd: s.root,
      env: { PATH: "/usr/bin:/bin" },
    });
    expect(cc.code).toBe(0);
    const env = isolatedEnv(s, `${shim}:${bin}:/usr/bin:/bin`);
    for (const args of [["--version"], ["install", "a b"], ["all", "a b"]]) {
      const r = await runIn([sh, join(shim, "make"), ...args], { cwd: s.root, env });
      expect(r.stdout).toBe(`${["make", ...args].join("|")}|`);
    }
  });

  test("paths with spaces, quotes and $ work: shim dir, rch binary, tool dir", async () => {
    s = new Scratch();
    const odd = `it's a "dir" $HOME \`x\``;
    const rchLink = join(s.dir(odd, "r c h"), "rch");
    symlinkSync(await ensureRchBuilt(), rchLink);
    const shim = s.path(odd, "shim");
    installWith(shim, [rchLink]);
    s.fakeTool(join(odd, "bin"), "make");
    const env = isolatedEnv(s, `${shim}:${s.path(odd, "bin")}:/usr/bin:/bin`);
    // `all` goes through rch shim decide and rch exec (no workers: run here, marked "1").
    for (const [args, nested] of [
      [["all", "x"], /^1$/],
      [["install"], /^shim:\d+$/],
    ] as const) {
      const r = await runIn([sh, join(shim, "make"), ...args], { cwd: s.root, env });
      expect(r.stderr).toBe("");
      expect(fakeReport(r.stdout).args).toEqual([...args]);
      expect(fakeReport(r.stdout).nested).toMatch(nested);
      // `rch shim decide` ran with the JIT off (SHORT_RUN_ENV); the tool must not inherit that.
      expect(fakeReport(r.stdout).jit).toBe("unset");
    }
  });

  test("exit codes pass through, and a signal the tool dies of is the shim's death too", async () => {
    const { shim, bin } = await setup();
    const env = isolatedEnv(s, `${shim}:${bin}:/usr/bin:/bin`);
    for (const [args, code] of [
      [["--version"], 3],
      [["install"], 101],
      [["all"], 2],
    ] as const) {
      const r = await runIn([sh, join(shim, "make"), ...args], {
        cwd: s.root,
        env: { ...env, FAKE_EXIT: `${code}` },
      });
      expect(r.code).toBe(code);
    }
  });

  test("the real tool replaces the shim (same pid): a signal sent to the shim ends the tool", async () => {
    const { shim, bin } = await setup();
    for (const [args, sig] of [
      [["--help"], "SIGTERM"], // decided in sh
      [["clean"], "SIGINT"], // decided by rch
    ] as const) {
      const pidfile = s.path(`pid-${sig}`);
      const env = isolatedEnv(s, `${shim}:${bin}:/usr/bin:/bin`, { FAKE_PIDFILE: pidfile });
      const running = start([sh, join(shim, "make"), ...args], { cwd: s.root, env, timeoutMs: 30_000 });
      try {
        const read = () => {
          try {
            return readFileSync(pidfile, "utf8");
          } catch {
            return "";
          }
        };
        expect(await waitFor(() => /^\d+\n$/.test(read()), 20_000)).toBe(true);
        expect(Number(read())).toBe(running.pid);
        process.kill(running.pid, sig);
        const r = await running.exited;
        expect(r.signal).toBe(sig);
      } finally {
        killGroup(running.pid, "SIGKILL");
      }
    }
  });

  test("never runs itself: shim dir twice in PATH, and through a symlink", async () => {
    const { shim, bin } = await setup();
    symlinkSync(shim, s.path("link"));
    for (const path of [`${shim}:${shim}:${bin}`, `${s.path("link")}:${shim}:${s.path("link")}:${bin}`]) {
      const r = await runIn([sh, join(shim, "cc"), "--version"], { cwd: s.root, env: isolatedEnv(s, path) });
      expect(fakeReport(r.stdout).path).toBe(bin);
      expect(r.code).toBe(0);
    }
  });

  test("no real tool in PATH: the shell's error and 127, not a loop", async () => {
    const { shim } = await setup();
    for (const args of [["--version"], ["all"], []]) {
      const r = await runIn([sh, join(shim, "ninja"), ...args], {
        cwd: s.root,
        env: isolatedEnv(s, `${shim}:${s.dir("empty")}`),
        timeoutMs: 15_000,
      });
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(127);
      expect(r.stderr).toBe("ninja: command not found\n");
    }
  });

  test("a link to a shim outside its dir is not taken for the real tool", async () => {
    const { shim, bin } = await setup();
    symlinkSync(join(shim, "make"), join(s.dir("other"), "make"));
    const r = await runIn([sh, join(shim, "make"), "--version"], {
      cwd: s.root,
      env: isolatedEnv(s, `${shim}:${s.path("other")}:${bin}`),
      timeoutMs: 15_000,
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("is an rch shim too");
  });

  test("fail-open: when the rch the shims name is gone, the real tool runs, with one line", async () => {
    s = new Scratch();
    const bin = s.dir("bin");
    s.fakeTool("bin", "make");
    const shim = s.path("shim");
    installWith(shim, [s.path("no-such-rch")]);
    const r = await runIn([sh, join(shim, "make"), "all", "x y"], {
      cwd: s.root,
      env: isolatedEnv(s, `${shim}:${bin}:/usr/bin:/bin`),
    });
    expect(fakeReport(r.stdout).args).toEqual(["all", "x y"]);
    expect(r.stderr).toBe("rch shim: rch is unavailable (status 127); running make here\n");
    expect(r.code).toBe(0);
  });

  test("fail-open: a broken rch (babbles, exits 3) costs one line, never the tool's output", async () => {
    s = new Scratch();
    const bin = s.dir("bin");
    s.fakeTool("bin", "make");
    const broken = s.script("broken", "rch", "echo junk; echo more junk >&2; exit 3\n");
    const shim = s.path("shim");
    installWith(shim, [broken]);
    const r = await runIn([sh, join(shim, "make"), "all"], {
      cwd: s.root,
      env: isolatedEnv(s, `${shim}:${bin}`),
    });
    expect(r.stdout.startsWith("pid=")).toBe(true);
    expect(fakeReport(r.stdout).args).toEqual(["all"]);
    expect(r.stderr).toBe("rch shim: rch is unavailable (status 3); running make here\n");
  });

  test("PATH for the tool keeps every other entry as it was, empty ones (the cwd) included", async () => {
    const { shim, bin } = await setup();
    const r = await runIn([sh, join(shim, "make"), "--version"], {
      cwd: s.root,
      env: isolatedEnv(s, `${shim}::${bin}:${shim}:/usr/bin:`),
    });
    expect(fakeReport(r.stdout).path).toBe(`:${bin}:/usr/bin:`);
  });
});
