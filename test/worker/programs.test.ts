// The worker programs as rch embeds and sends them: the sent text means what the file says, it
// is plain ASCII, and the probe reports what the machine has, under dash and under bash.
import { expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  GC_PROGRAM,
  HEARTBEAT_PROGRAM,
  PROBE_PROGRAM,
  PULL_PROGRAM,
  RUN_PROGRAM,
  SEED_PROGRAM,
  SLOTS_PROGRAM,
  TOOLCHAIN_SYNC_PROGRAM,
} from "../../src/worker/programs.ts";
import { sendable } from "../../src/worker/sendable.ts";
import { run } from "../exec-scenarios/proc.ts";
import { SHELLS } from "./harness.ts";

const WORKER = join(import.meta.dir, "..", "..", "src", "worker");
const file = (name: string) => readFileSync(join(WORKER, name), "utf8");

/** The program as bash understands it: bash prints a function's body in a normal form, without
 * comments or layout but with every string as written. */
async function meaning(program: string): Promise<string> {
  const r = await run(
    ["bash", "-c", 'eval "__rch_program() {\n$1\n}" && declare -f __rch_program', "bash", program],
    {
      cwd: "/",
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 10_000,
    },
  );
  if (r.code !== 0) throw new Error(`bash could not read the program: ${r.stderr}`);
  return r.stdout;
}

test("what rch sends is the program in the file, without its comment and blank lines", async () => {
  for (const [name, sent] of [
    ["run.sh", RUN_PROGRAM],
    ["probe.sh", PROBE_PROGRAM],
    ["pull.sh", PULL_PROGRAM],
    ["seed.sh", SEED_PROGRAM],
    ["heartbeat.sh", HEARTBEAT_PROGRAM],
    ["gc.sh", GC_PROGRAM],
    ["slots.sh", SLOTS_PROGRAM],
    ["toolchain-sync.sh", TOOLCHAIN_SYNC_PROGRAM],
  ] as const) {
    const text = file(name);
    expect(sent).toBe(sendable(text));
    expect(sent.length).toBeLessThan(text.length);
    expect(sent).not.toMatch(/^\s*#/m);
    expect(await meaning(sent)).toBe(await meaning(text));
  }
});

test("the check above notices a comment-like line inside a multi-line string", async () => {
  const program = "msg='first\n# not a comment\n\nlast'\nprintf '%s\\n' \"$msg\"\n";
  expect(await meaning(sendable(program))).not.toBe(await meaning(program));
});

test("the programs are ASCII: the bytes on the wire do not depend on anyone's locale", () => {
  for (const name of ["run.sh", "probe.sh", "pull.sh", "heartbeat.sh", "gc.sh", "slots.sh"]) {
    expect(file(name)).toMatch(/^[\x20-\x7e\n]*$/);
  }
});

for (const shell of SHELLS) {
  test(`probe.sh under ${shell}: OS, CPUs, flock, and each tool's version line or "-"`, async () => {
    const probe = (path: string) =>
      run([shell, "-c", PROBE_PROGRAM, "rch", "sh", "rch-no-such-tool", "gcc"], {
        cwd: "/",
        env: { PATH: path },
        timeoutMs: 20_000,
      });
    const r = await probe("/usr/bin:/bin");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^os\tLinux \S+$/);
    expect(lines[1]).toMatch(/^cpus\t[1-9]\d*$/);
    expect(lines[2]).toBe("locks\tflock");
    // This machine allows unprivileged user + mount namespaces (the bed's same-path workers rely on it).
    expect(lines[3]).toBe("samepath\tyes");
    expect(lines.slice(4).map((l) => l.split("\t")[0])).toEqual(["sh", "rch-no-such-tool", "gcc"]);
    expect(lines[5]).toBe("rch-no-such-tool\t-");
    expect(lines[6]).toMatch(/^gcc\tgcc .*\d+\.\d+/);
    // A PATH without flock(1): the probe says so.
    const dir = mkdtempSync("/tmp/rchwk-probe-");
    try {
      for (const tool of ["uname", "nproc", "getconf", "head", shell]) {
        symlinkSync(Bun.which(tool, { PATH: "/usr/bin:/bin" })!, join(dir, tool));
      }
      const bare = await probe(dir);
      expect(bare.code).toBe(0);
      expect(bare.stdout.split("\n")[2]).toBe("locks\t-");
      // No unshare on that PATH: the worker's shell says so, and builds there run mapped.
      expect(bare.stdout.split("\n")[3]).toMatch(/^samepath\t.*unshare.*not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const shell of SHELLS) {
  test(`pull.sh under ${shell}: runs rsync with the arguments after the list, then removes the list`, async () => {
    const dir = mkdtempSync("/tmp/rchwk-pull-");
    try {
      const list = `${dir}/it's a list.rch-new-0badc0de`;
      const pull = (rsyncArgs: string[]) => {
        writeFileSync(list, "./a.o\0");
        return run([shell, "-c", PULL_PROGRAM, "rch", list, ...rsyncArgs], {
          cwd: dir,
          env: { PATH: "/usr/bin:/bin" },
          timeoutMs: 20_000,
        });
      };
      const ok = await pull(["--version"]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^rsync\s+version/);
      expect(existsSync(list)).toBe(false);
      // A failed rsync: its status is the session's, and the list is gone all the same.
      const failed = await pull(["--no-such-option"]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("no-such-option");
      expect(existsSync(list)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const shell of SHELLS) {
  test(`seed.sh under ${shell}: rsync runs under the profile dir's .cargo-lock, made when missing; a held lock or no copy sends nothing`, async () => {
    const dir = mkdtempSync("/tmp/rchwk-seed-");
    try {
      const copy = join(dir, "it's a copy");
      const profile = join(copy, "target", "debug");
      const seed = (args: string[], wait = "1") =>
        run([shell, "-c", SEED_PROGRAM, "rch", copy, profile, wait, ...args], {
          cwd: dir,
          env: { PATH: "/usr/bin:/bin" },
          timeoutMs: 20_000,
        });
      const gone = await seed(["--version"]);
      expect(gone.code).toBe(3);
      expect(gone.stderr).toBe(`rch: no project copy at ${copy}\n`);
      expect(existsSync(profile)).toBe(false);
      mkdirSync(copy);
      const ok = await seed(["--version"]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^rsync\s+version/);
      expect(existsSync(join(profile, ".cargo-lock"))).toBe(true);
      // A cargo building on the worker holds the lock: after the wait, nothing ran.
      // Its own process group: the kill must reach flock's sleep, which holds the lock too.
      const holder = Bun.spawn(["flock", join(profile, ".cargo-lock"), "sleep", "600"], {
        stdout: "ignore",
        detached: true,
      });
      try {
        while (Bun.spawnSync(["flock", "-n", join(profile, ".cargo-lock"), "true"]).exitCode === 0)
          await Bun.sleep(20);
        const held = await seed(["--version"]);
        expect(held.code).toBe(75);
        expect(held.stdout).toBe("");
        expect(held.stderr).toBe("rch: a cargo build on the worker held its lock for 1 s\n");
      } finally {
        process.kill(-holder.pid, "SIGKILL");
        await holder.exited;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
