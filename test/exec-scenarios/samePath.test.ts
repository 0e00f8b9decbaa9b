// Same-path mode on the real bed: a build offloaded to a worker that allows user + mount
// namespaces runs at the project's own path, so what it records — .ninja_log command lines,
// .ninja_deps, debug info, Meson's state — is what a local build records, and the next local
// build has nothing to do. A worker whose kernel refuses the namespaces runs builds mapped
// (output still rewritten, one verbose line); a worker that lost them since its last heartbeat
// runs the build mapped after one line, never reporting the set-up failure as the build's code.
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectRanRemotely, expectSameOutput, Scenario, useFleet } from "./harness.ts";
import { run } from "./proc.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(180_000);
const bed = useFleet([{ id: "w1" }, { id: "w2" }, { id: "nons", noNamespaces: true }, { id: "lost" }]);

/** Starts the scenario's rchd and waits (bounded) until a heartbeat has told it, for each worker,
 * whether it allows same-path builds (before that, builds run mapped), and a probe its toolchains. */
async function daemonKnowsPaths(sc: Scenario): Promise<Record<string, boolean>> {
  const rch = await rchBinary();
  const opts = { cwd: sc.rchDir, env: sc.env, timeoutMs: 30_000 };
  expect((await run([rch, "daemon", "start"], opts)).code).toBe(0);
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await run([rch, "status", "--workers", "--format", "json"], opts);
    const workers = JSON.parse(r.stdout || "{}").workers as
      | { id: string; samePath?: boolean; toolchains?: { toolsKnown: boolean } }[]
      | undefined;
    // Its toolchains too: a probe cut short by a worker's restart (as the test of a worker that
    // lost its namespaces does) would leave them unknown until the next heartbeat.
    const known = (workers ?? []).filter((w) => w.samePath !== undefined && w.toolchains?.toolsKnown);
    if (workers?.length && known.length === workers.length) {
      return Object.fromEntries(known.map((w) => [w.id, w.samePath!]));
    }
    if (Date.now() > end) throw new Error(`rchd never learned the workers' path modes: ${r.stdout}`);
    await Bun.sleep(100);
  }
}

/** `ninja -n -d explain`: the reasons ninja would rebuild anything (none: nothing to do). */
async function explain(sc: Scenario, dir: string): Promise<string[]> {
  const r = await sc.local(["ninja", "-n", "-d", "explain", "-C", dir], {}, sc.rchDir);
  expect(r.code).toBe(0);
  // Meson's test/benchmark prerequisites are phony edges without inputs: dirty in any build.
  return `${r.stdout}${r.stderr}`
    .split("\n")
    .filter((l) => l.startsWith("ninja explain:") && !/meson-(test|benchmark)-prereq/.test(l));
}

/** DW_AT_comp_dir / DW_AT_name strings of a file's debug info. */
async function debugPaths(file: string): Promise<string> {
  const r = await run(["readelf", "--debug-dump=info", file], {
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
    timeoutMs: 30_000,
  });
  expect(r.code).toBe(0);
  return r.stdout
    .split("\n")
    .filter((l) => /DW_AT_(comp_dir|name)/.test(l))
    .join("\n");
}

const verbose = { RCH_VERBOSE: "1" };
const on = (id: string) => ({ env: { ...verbose, RCH_WORKER: id } });
const pathLines = (stderr: string) => stderr.split("\n").filter((l) => /\bpath: |project's own path/.test(l));

describe("CMake + Ninja with -g (configured locally)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "cmake-ninja",
      fleet: bed.fleet,
      setup: [["cmake", "-G", "Ninja", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Debug"]],
    });
    expect(await daemonKnowsPaths(sc)).toEqual({ w1: true, w2: true, nons: false, lost: true });
  });

  test("after `rch exec -- ninja -C build`, a local ninja has no work to do; debug info names the local path", async () => {
    const rch = await sc.rch(["ninja", "-C", "build"], on("w1"));
    expect(rch.code).toBe(0);
    const copy = expectRanRemotely(sc, rch, ["build/hello"]);
    expect(pathLines(rch.stderr)).toEqual([]); // same path: nothing to say
    const local = await sc.local(["ninja", "-C", "build"], {}, sc.rchDir);
    expect(local.stdout).toEndWith("\nninja: no work to do.\n");
    expect(await explain(sc, "build")).toEqual([]);
    for (const f of ["build/hello", "build/CMakeFiles/hello.dir/src/main.c.o", "build/libgreet.a"]) {
      const dwarf = await debugPaths(join(sc.rchDir, f));
      expect(dwarf).toContain(sc.rchDir);
      expect(dwarf).not.toContain(copy);
      expect(readFileSync(join(sc.rchDir, f)).includes(Buffer.from(copy))).toBe(false);
    }
  });

  test("an rch build after that, on the worker holding the copy, does no work", async () => {
    const again = await sc.rch(["ninja", "-C", "build"], on("w1"));
    expect(again.code).toBe(0);
    expect(again.stdout).toEndWith("\nninja: no work to do.\n");
  });

  test("a change built remotely, then the build moved to a second worker: local ninja still has no work", async () => {
    const main = join(sc.rchDir, "src", "main.c");
    writeFileSync(main, `${readFileSync(main, "utf8")}\n/* touched */\n`);
    const w1 = await sc.rch(["ninja", "-C", "build"], on("w1"));
    expect(w1.code).toBe(0);
    expect(w1.stdout).toContain("main.c.o");
    expect((await sc.local(["ninja", "-C", "build"], {}, sc.rchDir)).stdout).toEndWith(
      "\nninja: no work to do.\n",
    );
    const w2 = await sc.rch(["ninja", "-C", "build"], on("w2"));
    expect(w2.code).toBe(0);
    expect(pathLines(w2.stderr)).toEqual([]);
    expect((await sc.local(["ninja", "-C", "build"], {}, sc.rchDir)).stdout).toEndWith(
      "\nninja: no work to do.\n",
    );
    expect(await explain(sc, "build")).toEqual([]);
    expect(await debugPaths(join(sc.rchDir, "build", "hello"))).toContain(sc.rchDir);
  });

  test("a change built locally, then rch on the worker holding the copy: no work to do there", async () => {
    const main = join(sc.rchDir, "src", "main.c");
    writeFileSync(main, `${readFileSync(main, "utf8")}\n/* built here */\n`);
    const local = await sc.local(["ninja", "-C", "build"], {}, sc.rchDir);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain("main.c.o");
    const w1 = await sc.rch(["ninja", "-C", "build"], on("w1"));
    expect(w1.code).toBe(0);
    expectRanRemotely(sc, w1, []);
    expect(w1.stdout).toEndWith("\nninja: no work to do.\n");
    expect(await explain(sc, "build")).toEqual([]);
  });
});

/** A fresh CMake+Ninja project configured here, never built: its build dir holds no
 * .ninja_deps yet. (A .ninja_deps written at the local path names files that, on this bed, exist
 * for a mapped worker but are not readable by it; on a real worker they would be missing and
 * ninja would just rebuild.) */
function freshCmake(): Promise<Scenario> {
  return Scenario.create({
    fixture: "cmake-ninja",
    fleet: bed.fleet,
    setup: [["cmake", "-G", "Ninja", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Debug"]],
  });
}

describe("workers that cannot build at the project's own path", () => {
  test("a worker whose kernel refuses user namespaces: mapped, said once in verbose output, output rewritten", async () => {
    const sc = await freshCmake();
    await daemonKnowsPaths(sc);
    const rch = await sc.rch(["ninja", "-v", "-C", "build"], on("nons"));
    expect(rch.code).toBe(0);
    const copy = expectRanRemotely(sc, rch);
    expect(pathLines(rch.stderr)).toHaveLength(1);
    expect(pathLines(rch.stderr)[0]).toContain("path: mapped on nons");
    // ninja -v shows the compiler's command lines: the copy's paths, rewritten to the local root.
    expect(rch.stdout).toContain(`${sc.rchDir}/src/main.c`);
    expect(rch.stdout).not.toContain(copy);
    // Mapped mode's known cost: the recorded command lines name the copy.
    expect(
      await debugPaths(join(sc.rchDir, "build", "CMakeFiles", "hello.dir", "src", "main.c.o")),
    ).toContain(copy);
  });

  test("a worker that lost its namespaces since the last heartbeat: one line, run mapped, the build's own exit code", async () => {
    const sc = await freshCmake();
    await daemonKnowsPaths(sc);
    await bed.fleet.startWorker("lost", { noNamespaces: true });
    try {
      writeFileSync(join(sc.rchDir, "src", "main.c"), "int main(void) { return undefined_here; }\n");
      const failing = await sc.rch(["ninja", "-C", "build"], { env: { RCH_WORKER: "lost" } });
      expect(failing.code).toBe(1); // ninja's own status, never the set-up's 210
      expect(failing.stdout).toContain("undefined_here");
      const lines = failing.stderr.split("\n").filter((l) => l.startsWith("rch: "));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /could not run at the project's own path on lost \(.*No space left on device.*\); running it mapped/,
      );
      expectRanRemotely(sc, failing);
      // Fixed, the same worker: the build's own success, after the same one line.
      writeFileSync(join(sc.rchDir, "src", "main.c"), "int main(void) { return 0; }\n");
      const fixed = await sc.rch(["ninja", "-C", "build"], { env: { RCH_WORKER: "lost" } });
      expect(fixed.code).toBe(0);
      expect(fixed.stderr.split("\n").filter((l) => l.startsWith("rch: "))).toHaveLength(1);
    } finally {
      await bed.fleet.startWorker("lost", { noNamespaces: false });
    }
  });
});

describe("Meson (configured locally)", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await Scenario.create({
      fixture: "meson-c",
      fleet: bed.fleet,
      setup: [["meson", "setup", "build"]],
    });
    await daemonKnowsPaths(sc);
  });

  test("meson compile -C build through rch: same output as local; then local has no work; debug info local", async () => {
    const rch = await sc.rch(["meson", "compile", "-C", "build"], { env: { RCH_WORKER: "w1" } });
    const local = await sc.local(["meson", "compile", "-C", "build"]);
    expect(local.code).toBe(0);
    expectSameOutput(sc, rch, local, { ninja: true });
    const copy = expectRanRemotely(sc, rch, ["build/hello"]);
    expect((await sc.local(["ninja", "-C", "build"], {}, sc.rchDir)).stdout).toEndWith(
      "\nninja: no work to do.\n",
    );
    expect(await explain(sc, "build")).toEqual([]);
    const dwarf = await debugPaths(join(sc.rchDir, "build", "hello"));
    expect(dwarf).toContain(sc.rchDir);
    expect(dwarf).not.toContain(copy);
    const again = await sc.rch(["meson", "compile", "-C", "build"], on("w1"));
    expect(again.stdout).toContain("ninja: no work to do.");
  });

  test("moved to a second worker: local ninja still has no work", async () => {
    const rch = await sc.rch(["meson", "compile", "-C", "build"], on("w2"));
    expect(rch.code).toBe(0);
    expect((await sc.local(["ninja", "-C", "build"], {}, sc.rchDir)).stdout).toEndWith(
      "\nninja: no work to do.\n",
    );
  });

  test("a change built locally, then rch on the worker holding the copy: no work to do there", async () => {
    const src = join(sc.rchDir, "src", "main.c");
    writeFileSync(src, `${readFileSync(src, "utf8")}\n/* built here */\n`);
    expect((await sc.local(["meson", "compile", "-C", "build"], {}, sc.rchDir)).code).toBe(0);
    const w2 = await sc.rch(["meson", "compile", "-C", "build"], on("w2"));
    expect(w2.code).toBe(0);
    expectRanRemotely(sc, w2, []);
    expect(w2.stdout).toContain("ninja: no work to do.");
  });
});

describe("what the build sees besides the project", () => {
  test("the worker's home, toolchains and /tmp: visible and writable; the build runs as the worker user", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    await daemonKnowsPaths(sc);
    const w1 = bed.fleet.worker("w1");
    const tmp = `/tmp/rchsp-${sc.token.slice(5)}`;
    const inHome = join(w1.home, `.rchsp-${sc.token.slice(5)}`);
    try {
      appendFileSync(
        join(sc.rchDir, "Makefile"),
        `\nseen:\n\t@echo "pwd=$$(pwd) uid=$$(id -u)"\n\t@cargo --version >/dev/null && echo cargo-ok\n\t@echo t >${tmp} && echo h >"$$HOME/.rchsp-${sc.token.slice(5)}" && echo wrote\n`,
      );
      const r = await sc.rch(["make", "seen"], on("w1"));
      expect(r.code).toBe(0);
      expectRanRemotely(sc, r);
      expect(r.stdout).toBe(`pwd=${sc.rchDir} uid=${w1.uid}\ncargo-ok\nwrote\n`);
      expect(statSync(tmp).uid).toBe(w1.uid);
      expect(readFileSync(inHome, "utf8")).toBe("h\n");
    } finally {
      rmSync(tmp, { force: true });
      rmSync(inHome, { force: true });
    }
  });

  test("rch workers probe: each worker's path mode, and why not", async () => {
    const sc = await Scenario.create({ fixture: "make-c", fleet: bed.fleet });
    const rch = await rchBinary();
    const r = await run([rch, "workers", "probe", "--all", "--format", "json"], {
      cwd: sc.rchDir,
      env: sc.env,
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(0);
    const byId = Object.fromEntries(
      (JSON.parse(r.stdout) as { id: string; samePath: { ok: boolean; why?: string } }[]).map((w) => [
        w.id,
        w.samePath,
      ]),
    );
    expect(byId.w1).toEqual({ ok: true });
    expect(byId.nons?.ok).toBe(false);
    expect(byId.nons?.why).toContain("No space left on device");
    const table = await run([rch, "workers", "probe", "--all"], {
      cwd: sc.rchDir,
      env: sc.env,
      timeoutMs: 60_000,
    });
    expect(table.stdout).toMatch(/^nons: builds run at the copy's path, not the project's own/m);
  });
});
