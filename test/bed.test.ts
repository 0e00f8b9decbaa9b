// Smoke tests of the real SSH test bed (test/bed): sshd workers on 127.0.0.1 as throwaway users.
// Needs root plus openssh-server/openssh-client/rsync; without them startFleet throws and the
// suite fails (it never skips: CI must notice a broken bed).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { type BedWorker, type Fleet, rsyncRsh, sshArgs, startFleet } from "./bed/fleet.ts";
import { pidsOfUids, run } from "./bed/proc.ts";
import { mountsUnder } from "./bed/system.ts";
import { reapStale, teardown } from "./bed/teardown.ts";
import { cleanUp } from "./support/cleanup.ts";

// Users, mounts, sshd processes and ssh sessions: 0.1–0.5 s a step here, several times that on a
// slow machine.
setDefaultTimeout(60_000);

let fleet: Fleet;
/** The "crashed" owner of the last test and the fleet it made, until the test has seen it reaped. */
let crashedChild: ReturnType<typeof Bun.spawn> | undefined;
let crashedDir: string | undefined;

beforeAll(async () => {
  const t0 = performance.now();
  fleet = await startFleet({ workers: [{}, {}, { id: "bare", toolchains: false }] });
  console.log(`fleet ${fleet.id}: 3 workers up in ${(performance.now() - t0).toFixed(0)} ms`);
});

afterAll(() =>
  cleanUp(
    () => fleet?.stop(),
    // A failed reaping test must not leave its fleet (sshd, user, tmpfs) behind.
    () => crashedChild?.kill("SIGKILL"),
    () => crashedDir && existsSync(crashedDir) && teardown(crashedDir),
  ),
);

const ssh = (w: BedWorker, cmd: string, mux = true) => run(["ssh", ...sshArgs(w, { mux }), cmd]);

test("every worker answers as its own user; toolchains follow the worker spec", async () => {
  await Promise.all(
    fleet.workers.map(async (w) => {
      const id = await ssh(w, "id -un"); // first call opens the master the others reuse
      expect(id).toMatchObject({ code: 0, stdout: `${w.user}\n` });
      const [cargo, bun, gcc, rsync] = await Promise.all([
        ssh(w, "cargo --version"),
        ssh(w, "bun --version"),
        ssh(w, "gcc --version"),
        ssh(w, "rsync --version"),
      ]);
      const hasTools = w.id !== "bare";
      expect(w.toolchains.includes("rust")).toBe(hasTools);
      expect(cargo.code === 0 && cargo.stdout.startsWith("cargo ")).toBe(hasTools);
      expect(bun.code === 0 && /^\d+\.\d+\.\d+/.test(bun.stdout)).toBe(hasTools);
      if (!hasTools) expect(cargo.stderr).toContain("not found");
      expect(gcc).toMatchObject({ code: 0 }); // system-wide: even the bare worker has it
      expect(rsync.stdout).toContain("rsync");
    }),
  );
});

test("workersToml lists every worker with its connection data", () => {
  const doc = parse(fleet.workersToml({ tags: ["bed"] })) as { workers: Record<string, unknown>[] };
  expect(doc.workers).toHaveLength(3);
  const [first] = fleet.workers;
  expect(doc.workers[0]).toMatchObject({
    id: "w1",
    host: "127.0.0.1",
    port: first!.port,
    user: first!.user,
    identity_file: fleet.identityFile,
    remote_root: first!.remoteRoot,
    tags: ["bed"],
  });
  expect(readFileSync(fleet.knownHostsFile, "utf8")).toContain(`[127.0.0.1]:${first!.port} ssh-ed25519 `);
});

test("rsync to the worker's remote root and back", async () => {
  const w = fleet.worker("w2");
  const src = join(fleet.dir, "rsync-src");
  mkdirSync(join(src, "sub"), { recursive: true });
  writeFileSync(join(src, "a.txt"), "alpha\n");
  writeFileSync(join(src, "sub", "b.bin"), new Uint8Array(64 * 1024).fill(7));
  const remote = `${w.user}@${w.host}:${w.remoteRoot}/proj/`;
  const up = await run(["rsync", "-a", "--mkpath", "-e", rsyncRsh(w, { mux: true }), `${src}/`, remote]);
  expect(up).toMatchObject({ code: 0, stderr: "" });
  expect((await ssh(w, `stat -c %U ${w.remoteRoot}/proj/sub/b.bin`)).stdout).toBe(`${w.user}\n`);
  const back = join(fleet.dir, "rsync-back");
  const down = await run(["rsync", "-a", "-e", rsyncRsh(w), remote, `${back}/`]);
  expect(down.code).toBe(0);
  expect(readFileSync(join(back, "a.txt"), "utf8")).toBe("alpha\n");
  expect(readFileSync(join(back, "sub", "b.bin")).length).toBe(64 * 1024);
});

test("stopWorker makes ssh fail with 255; startWorker restores it", async () => {
  const w = fleet.worker("w1");
  const t0 = performance.now();
  await fleet.stopWorker("w1");
  const t1 = performance.now();
  expect(pidsOfUids([w.uid])).toEqual([]); // sshd and its sessions (the mux session too)
  expect((await ssh(w, "true", false)).code).toBe(255);
  await fleet.startWorker("w1");
  console.log(`stopWorker ${(t1 - t0).toFixed(0)} ms, startWorker ${(performance.now() - t1).toFixed(0)} ms`);
  expect(await ssh(w, "echo back", false)).toMatchObject({ code: 0, stdout: "back\n" });
});

test("a new host key trips StrictHostKeyChecking until known_hosts is rewritten", async () => {
  const w = fleet.worker("w2");
  const oldKey = w.hostKeyPub;
  await fleet.startWorker("w2", { newHostKey: true });
  expect(w.hostKeyPub).not.toBe(oldKey);
  const r = await ssh(w, "true", false);
  expect(r.code).toBe(255);
  expect(r.stderr).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
  fleet.writeClientFiles();
  expect((await ssh(w, "true", false)).code).toBe(0);
});

test("stop() leaves no processes, mounts, users or scratch", async () => {
  const { dir, workers } = fleet;
  const t0 = performance.now();
  await fleet.stop();
  console.log(`fleet stop ${(performance.now() - t0).toFixed(0)} ms`);
  expect(pidsOfUids(workers.map((w) => w.uid))).toEqual([]);
  for (const w of workers) expect((await run(["getent", "passwd", w.user])).code).toBe(2);
  expect(mountsUnder(dir)).toEqual([]);
  expect((await run(["findmnt", "-rn", "-o", "TARGET"])).stdout).not.toContain(dir);
  expect(existsSync(dir)).toBe(false);
});

test("a fleet whose owner process died is reaped by the next start", async () => {
  const script = join(import.meta.dir, "bed", "fleet.ts");
  const child = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const { startFleet } = await import(${JSON.stringify(script)});
       const f = await startFleet({ workers: 1, toolchains: [] });
       console.log(JSON.stringify({ dir: f.dir, uid: f.workers[0].uid, user: f.workers[0].user }));
       await Bun.sleep(60000);`,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  crashedChild = child;
  // Its one line, however the pipe splits it.
  let line = "";
  for await (const chunk of child.stdout) {
    line += new TextDecoder().decode(chunk);
    if (line.includes("\n")) break;
  }
  const crashed = JSON.parse(line) as { dir: string; uid: number; user: string };
  crashedDir = crashed.dir;
  child.kill("SIGKILL"); // a crash: no stop(), the sshd stays behind
  await child.exited;
  expect(pidsOfUids([crashed.uid]).length).toBeGreaterThan(0);
  // Another test process starting a fleet right now may reap it first: wait for it to be gone.
  const end = Date.now() + 30_000;
  while (existsSync(crashed.dir) && Date.now() < end) {
    await reapStale();
    if (existsSync(crashed.dir)) await Bun.sleep(50);
  }
  expect(pidsOfUids([crashed.uid])).toEqual([]);
  expect((await run(["getent", "passwd", crashed.user])).code).toBe(2);
  expect(mountsUnder(crashed.dir)).toEqual([]);
  expect(existsSync(crashed.dir)).toBe(false);
  crashedDir = undefined;
});
