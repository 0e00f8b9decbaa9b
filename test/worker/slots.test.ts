// slots.sh, the daemon's count of a shared worker's slots, run directly under dash and bash (no
// ssh): which slots are held and by whom (only locked slots' notes count), the want notes of
// waiting workstations (fresh ones only, and only under a plain client id), every remote_root
// spelling, and a worker without flock(1).
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCount } from "../../src/daemon/slotwatch.ts";
import { syncHeader } from "../../src/exec/script.ts";
import { SLOTS_PROGRAM } from "../../src/worker/programs.ts";
import { killGroup, type Running, run, start } from "../exec-scenarios/proc.ts";
import { argsFor, Home, SHELLS, type Shell, startProgram } from "./harness.ts";

setDefaultTimeout(60_000);

let home: Home;
const holders: Running[] = [];
afterEach(async () => {
  for (const h of holders.splice(0)) {
    killGroup(h.pid, "SIGKILL");
    await h.done;
  }
  home?.dispose();
});

const ID_A = "aaaaaaaaaaaaaaaa";
const ID_B = "bbbbbbbbbbbbbbbb";
/** The worker's shared state with remote_root = ~/projects (the harness's copy lives there). */
const slotsDir = () => join(home.dir, "projects", ".rch", "slots");

function slots(shell: Shell, args: string[], path = "/usr/bin:/bin") {
  return run([shell, "-c", SLOTS_PROGRAM, "rch", ...args], {
    cwd: home.dir,
    env: { HOME: home.dir, PATH: path, LANG: "C" },
    timeoutMs: 20_000,
  });
}

/** Holds slot `i` exclusively, as a build's session does, with `note` beside it. */
async function hold(i: number, note: string): Promise<void> {
  mkdirSync(slotsDir(), { recursive: true });
  const file = join(slotsDir(), String(i));
  writeFileSync(file, "");
  writeFileSync(`${file}.who`, `${note}\n`);
  holders.push(start(["flock", "-x", file, "sleep", "60"], { cwd: "/", env: { PATH: "/usr/bin:/bin" } }));
  for (let t = 0; t < 400; t++) {
    if (Bun.spawnSync(["flock", "-n", file, "true"]).exitCode !== 0) return;
    await Bun.sleep(10);
  }
  throw new Error(`slot ${i} never got locked`);
}

const lines = (stdout: string) => stdout.trimEnd().split("\n");

describe.each(SHELLS)("slots.sh under %s", (shell) => {
  test("nothing there yet: flock yes, no slot held, nothing created", async () => {
    home = new Home();
    const r = await slots(shell, ["~/projects", "3", "5"]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(["flock yes", "slots 0 3"]);
    expect(existsSync(join(home.dir, "projects", ".rch"))).toBe(false);
  });

  test("held slots with their notes; a stale note beside a free slot is not reported", async () => {
    home = new Home();
    await hold(0, `client=${ID_B} name=ws-b project=api since=100`);
    await hold(2, `client=${ID_A} name=ws-a project=web since=200`);
    writeFileSync(join(slotsDir(), "1"), "");
    writeFileSync(join(slotsDir(), "1.who"), `client=${ID_B} name=ws-b project=old since=1\n`);
    const r = await slots(shell, ["~/projects", "4", "5"]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      "flock yes",
      `held client=${ID_B} name=ws-b project=api since=100`,
      `held client=${ID_A} name=ws-a project=web since=200`,
      "slots 2 4",
    ]);
    expect(parseCount(r.stdout)).toEqual({
      flock: true,
      held: 2,
      holders: [
        `client=${ID_B} name=ws-b project=api since=100`,
        `client=${ID_A} name=ws-a project=web since=200`,
      ],
      wants: [],
    });
    // Slots past N are not this count's business (another workstation configured more).
    expect(lines((await slots(shell, ["~/projects", "1", "5"])).stdout).at(-1)).toBe("slots 1 1");
  });

  test("the slot a run.sh session holds is counted, with that build's note", async () => {
    home = new Home();
    const who = `client=${ID_A} name=ws-a project=p since=7`;
    const build = startProgram(
      shell,
      home,
      argsFor(home, { lockMode: "x", slots: 2, who, argv: ["true"] }),
      undefined,
      true,
    );
    build.send(syncHeader("lock"));
    expect(await build.waitFor(() => build.locked() !== undefined, 20_000)).toBe(true);
    const r = await slots(shell, ["projects", "2", "5"]);
    expect(lines(r.stdout)).toEqual(["flock yes", `held ${who}`, "slots 1 2"]);
    build.send(syncHeader({ check: "", stamp: "", remove: [], tarBytes: 0 }));
    expect(await build.waitFor(() => build.ended(), 20_000)).toBe(true);
    build.closeStdin();
    expect((await build.done).code).toBe(0);
    expect(lines((await slots(shell, ["projects", "2", "5"])).stdout)).toEqual(["flock yes", "slots 0 2"]);
  });

  test("want notes: written under a plain id, reported while fresh", async () => {
    home = new Home();
    const r = await slots(shell, [`${home.dir}/projects`, "2", "5", ID_B, `client=${ID_B} name=ws-b`]);
    expect(r.code).toBe(0);
    const want = lines(r.stdout).filter((l) => l.startsWith("want "));
    expect(want).toHaveLength(1);
    expect(want[0]).toMatch(new RegExp(`^want client=${ID_B} name=ws-b at=\\d+$`));
    expect(readFileSync(join(slotsDir(), `want.${ID_B}`), "utf8")).toBe(`${want[0]!.slice(5)}\n`);
    // Another workstation's old note is not reported; one without a time neither.
    writeFileSync(
      join(slotsDir(), `want.${ID_A}`),
      `client=${ID_A} name=ws-a at=${Math.floor(Date.now() / 1000) - 60}\n`,
    );
    writeFileSync(join(slotsDir(), "want.cccccccccccccccc"), "client=cccccccccccccccc name=ws-c\n");
    const later = await slots(shell, ["~/projects", "2", "5"]);
    expect(lines(later.stdout).filter((l) => l.startsWith("want "))).toEqual(want);
    expect(parseCount(later.stdout)).toMatchObject({ held: 0, wants: [want[0]!.slice(5)] });
  });

  test("an id that is not plain hex names no file", async () => {
    home = new Home();
    for (const id of ["../../evil", "a b", "ABCDEF0123456789"]) {
      const r = await slots(shell, ["~/projects", "2", "5", id, "client=x name=y"]);
      expect(r.code).toBe(0);
    }
    expect(existsSync(slotsDir()) ? readdirSync(slotsDir()) : []).toEqual([]);
    expect(readdirSync(home.dir).sort()).toEqual(["projects"]);
  });

  test("remote_root spelled ~, ~/dir, dir and /abs: one state dir", async () => {
    home = new Home();
    await hold(0, `client=${ID_B} name=ws-b project=api since=1`);
    for (const root of ["~/projects", "projects", `${home.dir}/projects`, `${home.dir}/projects/`]) {
      expect(lines((await slots(shell, [root, "2", "5"])).stdout)).toContain("slots 1 2");
    }
    expect(lines((await slots(shell, ["~", "2", "5"])).stdout)).toContain("slots 0 2");
  });

  test("no flock(1) on the worker: says so and nothing else", async () => {
    home = new Home();
    const bin = join(home.dir, "bin");
    mkdirSync(bin);
    for (const tool of [shell, "date", "mkdir"]) symlinkSync(Bun.which(tool)!, join(bin, tool));
    const r = await slots(shell, ["~/projects", "2", "5", ID_A, `client=${ID_A} name=ws-a`], bin);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("flock no\n");
    expect(parseCount(r.stdout)).toEqual({ flock: false });
  });
});
