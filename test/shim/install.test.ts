// rch shim install|uninstall|status with the compiled binary: idempotent, atomic enough to leave
// no temp files, one shim per registry name, never touching a file that is not rch's.
import { afterEach, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMMAND_NAMES } from "../../src/classify/index.ts";
import { SHORT_RUN_ENV } from "../../src/shell/shortRun.ts";
import { installShims as installWith } from "../../src/shim/install.ts";
import { isolatedEnv, rch, Scratch } from "./support.ts";

let s: Scratch;
afterEach(() => s?.dispose());

function shimCli(args: string[], path = "/usr/bin:/bin") {
  return rch(["shim", ...args], { cwd: s.root, env: isolatedEnv(s, path) });
}

test("install writes one executable shim per registry name; twice changes nothing and says so", async () => {
  s = new Scratch();
  const dir = s.path("my shims");
  const first = await shimCli(["install", dir]);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`installed ${COMMAND_NAMES.length} shim(s) in ${dir}`);
  expect(first.stdout).toContain(`export PATH='${dir}'":$PATH"`);
  expect(readdirSync(dir).sort()).toEqual([".rch-shim", ...COMMAND_NAMES].sort());
  for (const name of COMMAND_NAMES) {
    expect(statSync(join(dir, name)).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, name), "utf8").split("\n")[1]).toBe(`# rch-shim v1 ${name}`);
  }
  const before = COMMAND_NAMES.map((n) => [statSync(join(dir, n)).ino, readFileSync(join(dir, n), "utf8")]);
  const second = await shimCli(["install", dir]);
  expect(second.code).toBe(0);
  expect(second.stdout).toContain("nothing changed");
  expect(COMMAND_NAMES.map((n) => [statSync(join(dir, n)).ino, readFileSync(join(dir, n), "utf8")])).toEqual(
    before,
  );
});

test("a user's own file of a tool's name is refused on install and kept on uninstall", async () => {
  s = new Scratch();
  const dir = s.dir("shim");
  const mine = "#!/bin/sh\necho my own make\n";
  writeFileSync(join(dir, "make"), mine, { mode: 0o755 });
  const inst = await shimCli(["install", dir]);
  expect(inst.code).toBe(1);
  expect(inst.stdout).toContain(`${dir}/make is not rch's: left alone, so make gets no shim`);
  expect(readFileSync(join(dir, "make"), "utf8")).toBe(mine);
  expect(existsSync(join(dir, "cargo"))).toBe(true);

  const un = await shimCli(["uninstall", dir]);
  expect(un.code).toBe(0);
  expect(un.stdout).toContain(`removed ${COMMAND_NAMES.length - 1} shim(s) from ${dir}`);
  expect(un.stdout).toContain("kept files that are not rch's: make");
  expect(readdirSync(dir)).toEqual(["make"]);
  expect(readFileSync(join(dir, "make"), "utf8")).toBe(mine);

  const again = await shimCli(["uninstall", dir]);
  expect(again.stdout).toContain(`no shims installed in ${dir}`);
  expect(readdirSync(dir)).toEqual(["make"]);
});

test("uninstall removes the dir it emptied; a second uninstall is a no-op", async () => {
  s = new Scratch();
  const dir = s.path("shim");
  expect((await shimCli(["install", dir])).code).toBe(0);
  expect((await shimCli(["uninstall", dir])).code).toBe(0);
  expect(existsSync(dir)).toBe(false);
  const again = await shimCli(["uninstall", dir]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain("no shims installed");
});

test("status: not installed, installed and first in PATH, behind the real tools, rch missing", async () => {
  s = new Scratch();
  const dir = s.path("shim");
  const none = await shimCli(["status", dir]);
  expect(none.code).toBe(1);
  expect(none.stdout).toContain("not installed");

  await shimCli(["install", dir]);
  const first = await shimCli(["status", dir], `${dir}:/usr/bin:/bin`);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain("PATH: entry 1, before every real tool");
  expect(first.stdout).toMatch(/rch: {2}\S+ \(exists\)/);

  const behind = await shimCli(["status", dir], `/usr/bin:${dir}:/bin`);
  expect(behind.stdout).toContain("but PATH finds these first: ");
  expect(behind.stdout).toContain("make (/usr/bin/make)");

  const json = await rch(["--format", "json", "shim", "status", dir], {
    cwd: s.root,
    env: isolatedEnv(s, `/usr/bin:${dir}:/bin`),
  });
  const parsed = JSON.parse(json.stdout) as {
    pathIndex: number;
    tools: { name: string; shadowed: boolean }[];
  };
  expect(parsed.pathIndex).toBe(1);
  expect(parsed.tools.find((t) => t.name === "make")?.shadowed).toBe(true);

  expect((JSON.parse(json.stdout) as { outdated: string[] }).outdated).toEqual([]);
  // A shim an older rch wrote (here: without the JIT switch before `rch shim decide`) is named.
  const make = join(dir, "make");
  writeFileSync(make, readFileSync(make, "utf8").replace(`${SHORT_RUN_ENV} `, ""));
  const old = await shimCli(["status", dir], `${dir}:/usr/bin:/bin`);
  expect(old.stdout).toContain("written by an older rch: make (run rch shim install to update them)");

  const gone = s.path("gone");
  installWith(gone, [s.path("no-such-rch")]);
  const missing = await shimCli(["status", gone], `${gone}:/usr/bin`);
  expect(missing.code).toBe(1);
  expect(missing.stdout).toContain(`${s.path("no-such-rch")} (MISSING`);
});

test("a dir that cannot stand in PATH is refused", async () => {
  s = new Scratch();
  const r = await shimCli(["install", s.path("a:b")]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("cannot contain ':'");
  expect(existsSync(s.path("a:b"))).toBe(false);
});

test("reinstall rewrites a shim that names another rch and removes shims of names the registry lost", async () => {
  s = new Scratch();
  const dir = s.path("shim");
  installWith(dir, [s.path("old-rch")], ["make", "oldtool"]);
  const r = await shimCli(["install", dir]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`installed ${COMMAND_NAMES.length} shim(s)`);
  expect(r.stdout).toContain("removed shims the registry no longer has: oldtool");
  expect(readdirSync(dir).sort()).toEqual([".rch-shim", ...COMMAND_NAMES].sort());
  expect(readFileSync(join(dir, "make"), "utf8")).not.toContain(s.path("old-rch"));
});

test("without DIR: $XDG_DATA_HOME/rch/shim, else ~/.local/share/rch/shim; the export line names it", async () => {
  s = new Scratch();
  const env = isolatedEnv(s, "/usr/bin:/bin");
  const r = await rch(["shim", "install"], { cwd: s.root, env });
  const dir = join(env.HOME!, ".local", "share", "rch", "shim");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`  export PATH="${dir}:$PATH"`);
  expect(existsSync(join(dir, "cargo"))).toBe(true);
  const xdg = s.path("xdg");
  const x = await rch(["shim", "install"], { cwd: s.root, env: { ...env, XDG_DATA_HOME: xdg } });
  expect(x.code).toBe(0);
  expect(existsSync(join(xdg, "rch", "shim", "cargo"))).toBe(true);
});
