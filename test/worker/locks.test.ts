// run.sh's locks on their own, under dash and bash: a slot and the copy's lock taken before
// anything touches the copy, held after the build until rch closes stdin, released when the
// session ends, never inherited by what the build leaves running; a full worker and a busy copy
// end with their reserved codes before the build starts.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { syncHeader } from "../../src/exec/script.ts";
import { exitCodeOf } from "../../src/worker/exits.ts";
import { argsFor, Home, type RunArgs, SHELLS, startProgram } from "./harness.ts";

setDefaultTimeout(60_000);

let home: Home;
afterEach(() => home?.dispose());

const header = () => syncHeader({ check: "", stamp: "", remove: [], tarBytes: 0 });

/** Can `flock` take this lock file right now (without waiting)? */
function free(file: string, mode: "-s" | "-x" = "-x"): boolean {
  return Bun.spawnSync(["flock", "-n", mode, file, "true"]).exitCode === 0;
}

const state = () => join(home.dir, "projects", ".rch");
const copyLock = () => join(state(), "locks", "p");
const slotFiles = (n: number) => Array.from({ length: n }, (_, i) => join(state(), "slots", String(i)));
const heldSlots = (n: number) => slotFiles(n).filter((f) => !free(f)).length;

const locking = (a: RunArgs): RunArgs => ({ lockMode: "x", lockWaitS: 5, slots: 2, ...a });

describe.each(SHELLS)("run.sh locks under %s", (shell) => {
  test("a dropped session takes no lock", async () => {
    home = new Home();
    const holder = startProgram(
      shell,
      home,
      argsFor(home, locking({ slots: 1, argv: ["true"] })),
      undefined,
      true,
    );
    holder.send(syncHeader("lock"));
    expect(await holder.waitFor(() => holder.locked() !== undefined, 20_000)).toBe(true);
    // Another build's session, dropped (it follows an identical build): it must not wait for the
    // copy or need a slot on its way out.
    const dropped = startProgram(
      shell,
      home,
      argsFor(home, locking({ slots: 1, lockWaitS: 30, argv: ["true"] })),
    );
    dropped.send(syncHeader("abort"));
    const r = await dropped.done;
    expect(r.code).toBe(exitCodeOf("needs-sync"));
    expect(dropped.locked()).toBeUndefined();
    holder.send(header());
    holder.closeStdin();
    await holder.done;
  });

  test("held from before the sync until stdin closes; stamp and slot note written", async () => {
    home = new Home();
    const r = startProgram(shell, home, argsFor(home, locking({ argv: ["true"] })), undefined, true);
    r.send(syncHeader("lock"));
    expect(await r.waitFor(() => r.locked() !== undefined, 20_000)).toBe(true);
    expect(r.locked()).toBe(true);
    // Locked before the header is even read: an rsync may now go into the copy.
    expect(free(copyLock(), "-s")).toBe(false);
    expect(heldSlots(2)).toBe(1);
    r.send(header());
    expect(await r.waitFor(() => r.ended(), 20_000)).toBe(true);
    // The build is over, the artifacts not yet back: still held.
    expect(free(copyLock(), "-s")).toBe(false);
    expect(heldSlots(2)).toBe(1);
    expect(readFileSync(join(state(), "stamps", "p"), "utf8")).toContain("project=/local/proj");
    const notes = slotFiles(2).map((f) => {
      try {
        return readFileSync(`${f}.who`, "utf8");
      } catch {
        return "";
      }
    });
    expect(notes.join("")).toContain("name=test");
    r.closeStdin();
    expect((await r.done).code).toBe(0);
    expect(free(copyLock())).toBe(true);
    expect(heldSlots(2)).toBe(0);
  });

  test("an exclusive copy lock held elsewhere: waits, then copy-busy before touching the copy", async () => {
    home = new Home();
    const first = startProgram(shell, home, argsFor(home, locking({ argv: ["true"] })), undefined, true);
    first.send(syncHeader("lock"));
    expect(await first.waitFor(() => first.locked() !== undefined, 20_000)).toBe(true);
    const second = startProgram(
      shell,
      home,
      argsFor(home, locking({ lockWaitS: 1, argv: ["touch", "ran"] })),
    );
    second.send(header());
    const r = await second.done;
    expect(r.code).toBe(exitCodeOf("copy-busy"));
    expect(r.start).toBeUndefined();
    first.send(header());
    first.closeStdin();
    await first.done;
  });

  test("shared locks (cargo builds) share the copy; an exclusive one waits for both", async () => {
    home = new Home();
    const a = startProgram(
      shell,
      home,
      argsFor(home, locking({ lockMode: "s", argv: ["true"] })),
      undefined,
      true,
    );
    const b = startProgram(
      shell,
      home,
      argsFor(home, locking({ lockMode: "s", argv: ["true"] })),
      undefined,
      true,
    );
    a.send(syncHeader("lock"));
    b.send(syncHeader("lock"));
    expect(await a.waitFor(() => a.locked() === true && b.locked() === true, 20_000)).toBe(true);
    const x = startProgram(
      shell,
      home,
      argsFor(home, locking({ slots: 3, lockWaitS: 30, argv: ["true"] })),
      undefined,
      true,
    );
    x.send(header());
    for (const r of [a, b]) {
      r.send(header());
      expect(await r.waitFor(() => r.ended(), 20_000)).toBe(true);
    }
    expect(x.locked()).toBeUndefined(); // still waiting
    a.closeStdin();
    b.closeStdin();
    expect(await x.waitFor(() => x.ended(), 20_000)).toBe(true);
    x.closeStdin();
    expect((await x.done).code).toBe(0);
    await Promise.all([a.done, b.done]);
  });

  test("every slot held: worker-full at once, naming who holds them", async () => {
    home = new Home();
    const holder = startProgram(
      shell,
      home,
      argsFor(home, locking({ slots: 1, argv: ["true"] })),
      undefined,
      true,
    );
    holder.send(syncHeader("lock"));
    expect(await holder.waitFor(() => holder.locked() !== undefined, 20_000)).toBe(true);
    const other = startProgram(
      shell,
      home,
      argsFor(home, {
        ...locking({ slots: 1, argv: ["touch", "ran"] }),
        who: "client=fedcba9876543210 name=ws-b project=q since=1",
      }),
    );
    other.send(header());
    const r = await other.done;
    expect(r.code).toBe(exitCodeOf("worker-full"));
    expect(r.preamble).toContain("rch-held-");
    expect(r.preamble).toContain("name=test"); // the holder's note, not its own
    holder.send(header());
    holder.closeStdin();
    await holder.done;
  });

  test("what the build leaves running holds neither lock", async () => {
    home = new Home();
    // setsid: the straggler escapes the build's process group, so the watchdog does not kill it.
    const script = join(home.dir, "straggle.sh");
    writeFileSync(script, "setsid sleep 30 </dev/null >/dev/null 2>&1 &\n");
    const r = startProgram(shell, home, argsFor(home, locking({ argv: ["sh", script] })));
    r.send(header());
    expect((await r.done).code).toBe(0);
    try {
      expect(free(copyLock())).toBe(true);
      expect(heldSlots(2)).toBe(0);
    } finally {
      Bun.spawnSync(["pkill", "-f", "^sleep 30$"]);
    }
  });

  test("no flock on the worker: no locks, the build runs, and the marker says so", async () => {
    home = new Home();
    const path = join(home.dir, "bin");
    // A PATH with the shell and its basic tools but without flock.
    Bun.spawnSync(["mkdir", "-p", path]);
    for (const tool of [shell, "true", "cat", "rm", "find", "sleep", "kill", "touch", "head", "tar"]) {
      Bun.spawnSync(["ln", "-s", Bun.which(tool)!, join(path, tool)]);
    }
    const r = startProgram(shell, home, argsFor(home, locking({ argv: ["touch", "ran"] })), path);
    r.send(header());
    const done = await r.done;
    expect(done.code).toBe(0);
    expect(r.locked()).toBe(false);
  });
});
