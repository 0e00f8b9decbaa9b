// Smoke test of the compiled binary against a one-worker fleet: `rch exec -- cargo build` on a
// small crate gives what a local `cargo build` gives (exit code, output, a binary that runs the
// same), really runs on the worker, and a no-change rebuild skips the sync. Plus the workers CLI.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { PROBE_TOOLS } from "../../src/classify/registry.ts";
import { probedTools } from "../../src/ssh/probe.ts";
import { sendable } from "../../src/worker/sendable.ts";
import { type Fleet, startFleet } from "../bed/fleet.ts";
import { must, run } from "../bed/proc.ts";
import { setLoginShell } from "../bed/system.ts";
import { cleanUp } from "../support/cleanup.ts";
import { ensureBinary, type RchEnv, rchEnv } from "./bedEnv.ts";

// Compiled rch against a real worker and real cargo builds.
setDefaultTimeout(120_000);

let fleet: Fleet;
let env: RchEnv;
let rch: string;
let viaRch: string;
let local: string;

beforeAll(async () => {
  [fleet, rch] = await Promise.all([startFleet({ workers: 1, toolchains: ["rust"] }), ensureBinary()]);
  env = rchEnv(fleet);
  const src = join(env.dir, "src", "smoke");
  mkdirSync(join(src, "src"), { recursive: true });
  writeFileSync(join(src, "Cargo.toml"), '[package]\nname = "smoke"\nversion = "0.1.0"\nedition = "2021"\n');
  writeFileSync(
    join(src, "src", "main.rs"),
    'fn main() {\n    let unused = 1;\n    println!("smoke {}", 6 * 7);\n}\n',
  );
  viaRch = join(env.dir, "a", "smoke");
  local = join(env.dir, "b", "smoke");
  cpSync(src, viaRch, { recursive: true });
  cpSync(src, local, { recursive: true });
}, 180_000);
afterAll(() =>
  cleanUp(
    () => env?.cleanup(),
    () => fleet?.stop(),
  ),
);

const normalize = (text: string, root: string) =>
  text.replaceAll(root, "<root>").replace(/in \d+\.\d+s/g, "in <t>");

test("rch exec -- cargo build == cargo build (output, exit code, binary), ran on the worker", async () => {
  const a = await run([rch, "exec", "--", "cargo", "build"], {
    cwd: viaRch,
    env: env.env,
    timeoutMs: 120_000,
  });
  const b = await run(["cargo", "build"], { cwd: local, env: env.env, timeoutMs: 120_000 });
  expect(b.code).toBe(0);
  expect(b.stderr).toContain("unused variable");
  expect({ code: a.code, stdout: a.stdout, stderr: normalize(a.stderr, viaRch) }).toEqual({
    code: b.code,
    stdout: b.stdout,
    stderr: normalize(b.stderr, local),
  });
  const ranA = await must([join(viaRch, "target", "debug", "smoke")]);
  const ranB = await must([join(local, "target", "debug", "smoke")]);
  expect(ranA.stdout).toBe("smoke 42\n");
  expect(ranA.stdout).toBe(ranB.stdout);
  // The remote copy exists under the worker's remote_root, with its own target dir.
  const w = fleet.workers[0]!;
  const copies = readdirSync(w.remoteRoot).filter((n) => n.startsWith("smoke-"));
  expect(copies.filter((n) => !n.includes(".rch-"))).toHaveLength(1);
  expect(
    existsSync(join(w.remoteRoot, copies.find((n) => !n.includes(".rch-"))!, "target", "debug", "smoke")),
  ).toBe(true);
}, 180_000);

test("the compiled binary carries the worker programs (src/worker/*.sh), byte for byte as sent", () => {
  const bin = readFileSync(rch);
  for (const name of ["run.sh", "probe.sh", "pull.sh", "seed.sh"]) {
    const program = readFileSync(join(import.meta.dir, "..", "..", "src", "worker", name), "utf8");
    expect(bin.includes(sendable(program)), `${name} in ${rch}`).toBe(true);
  }
});

test("a no-change rebuild skips rsync and the artifact pull", async () => {
  // Its own first build (a no-change rebuild itself after the test above): runs alone too.
  const first = await run([rch, "exec", "--", "cargo", "build"], {
    cwd: viaRch,
    env: env.env,
    timeoutMs: 120_000,
  });
  expect(first.code).toBe(0);
  const r = await run([rch, "exec", "-v", "--", "cargo", "build"], {
    cwd: viaRch,
    env: env.env,
    timeoutMs: 60_000,
  });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("sync: skipped, tree unchanged");
  expect(r.stderr).toContain("artifacts: target unchanged on both sides");
  expect(r.stderr).not.toContain("running locally");
});

test("rch workers list / probe", async () => {
  const list = await run([rch, "workers", "list", "--format", "json"], { env: env.env });
  expect(list.code).toBe(0);
  const w = fleet.workers[0]!;
  expect(JSON.parse(list.stdout)).toMatchObject([
    { id: w.id, host: w.host, port: w.port, user: w.user, enabled: true },
  ]);
  const probe = await run([rch, "workers", "probe", "--all", "--format", "json"], {
    env: env.env,
    timeoutMs: 60_000,
  });
  expect(probe.code).toBe(0);
  const [p] = JSON.parse(probe.stdout) as {
    reachable: boolean;
    os: string;
    tools: Record<string, string | null>;
    latencyMs: number;
  }[];
  expect(p).toMatchObject({ reachable: true, os: "Linux x86_64" });
  expect(p!.tools.cargo).toMatch(/^\d+\.\d+\.\d+$/);
  expect(p!.tools.rsync).toMatch(/^\d+\.\d+/);
  // Every family's tools from the registry are asked about (null where the worker lacks one).
  expect(Object.keys(p!.tools)).toEqual(probedTools(PROBE_TOOLS));
  expect(p!.latencyMs).toBeLessThan(1000);
  const text = await run([rch, "workers", "probe", w.id], { env: env.env, timeoutMs: 60_000 });
  expect(text.stdout).toContain("cargo 1.");
  await fleet.stopWorker(w.id);
  const down = await run([rch, "workers", "probe", "--all"], { env: env.env, timeoutMs: 60_000 });
  expect(down.code).toBe(1);
  expect(down.stdout).toContain("unreachable");
  await fleet.startWorker(w.id);
}, 120_000);

test("rch workers probe: a worker whose login shell is not POSIX is reported unusable, and why", async () => {
  const w = fleet.workers[0]!;
  // A stand-in for fish: runs commands with sh (so ssh works at all) but carries fish's name.
  const dir = mkdtempSync("/dev/shm/rch-shell-");
  const fish = join(dir, "fish");
  writeFileSync(fish, '#!/bin/sh\n[ "$1" = -c ] && exec /bin/sh -c "$2"\nexec /bin/sh "$@"\n', {
    mode: 0o755,
  });
  chmodSync(dir, 0o755);
  try {
    await setLoginShell(w.user, fish);
    await fleet.stopWorker(w.id); // sessions on an existing connection keep the old shell
    await fleet.startWorker(w.id);
    const r = await run([rch, "workers", "probe", w.id, "--format", "json"], {
      env: env.env,
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    const [p] = JSON.parse(r.stdout) as { reachable: boolean; usable: boolean; error: string }[];
    expect(p).toMatchObject({ reachable: true, usable: false });
    expect(p!.error).toContain(`login shell ${fish} is not a POSIX shell`);
    const text = await run([rch, "workers", "probe", w.id], { env: env.env, timeoutMs: 60_000 });
    expect(text.stdout).toContain("unusable");
  } finally {
    await setLoginShell(w.user, "/bin/bash");
    await fleet.stopWorker(w.id);
    await fleet.startWorker(w.id);
    rmSync(dir, { recursive: true, force: true });
  }
  const ok = await run([rch, "workers", "probe", w.id, "--format", "json"], {
    env: env.env,
    timeoutMs: 60_000,
  });
  expect(ok.code).toBe(0);
}, 120_000);

test("incremental syncs (inline tar) keep the worker's copy identical: edits, deletes, type changes, empty dirs", async () => {
  const proj = join(env.dir, "inc");
  mkdirSync(join(proj, ".git"), { recursive: true });
  mkdirSync(join(proj, "src", "deep"), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(proj, "src", `f${i}.txt`), `file ${i}\n`);
  writeFileSync(join(proj, "src", "deep", "x.txt"), "x\n");
  const rchRun = () => run([rch, "exec", "-v", "--", "true"], { cwd: proj, env: env.env, timeoutMs: 60_000 });
  expect((await rchRun()).stderr).toContain("sync: rsync to");
  const remoteCopy = () => {
    const w = fleet.workers[0]!;
    const name = readdirSync(w.remoteRoot).find((n) => n.startsWith("inc-") && !n.includes(".rch-"))!;
    return join(w.remoteRoot, name);
  };
  const steps: (() => void)[] = [
    () => writeFileSync(join(proj, "src", "f1.txt"), "edited\n"),
    () => rmSync(join(proj, "src", "f2.txt")),
    () => {
      rmSync(join(proj, "src", "deep"), { recursive: true });
      writeFileSync(join(proj, "src", "deep"), "now a file\n"); // dir → file
      mkdirSync(join(proj, "empty", "nested"), { recursive: true });
      symlinkSync("f3.txt", join(proj, "src", "link"));
      chmodSync(join(proj, "src", "f4.txt"), 0o755);
    },
  ];
  for (const step of steps) {
    step();
    const r = await rchRun();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("sent inline");
    expect(await tree(remoteCopy())).toEqual(await tree(proj));
  }
}, 120_000);

/** path, type, mode, size, mtime (µs) and content hash of everything but .git. */
async function tree(dir: string): Promise<string> {
  const r = await must(["find", ".", "-path", "./.git", "-prune", "-o", "-printf", "%p %y %m %s %T@\\n"], {
    cwd: dir,
  });
  const sums = await must(["sh", "-c", "find . -path ./.git -prune -o -type f -exec md5sum {} + | sort"], {
    cwd: dir,
  });
  const meta = r.stdout
    .split("\n")
    .filter((l) => l && !l.startsWith("./.git ") && l !== ". d")
    .map((l) => l.replace(/^(\S+ d \d+) \d+ (\S+)$/, "$1 - -").replace(/(\.\d{6})\d*$/, "$1"))
    .sort();
  return `${meta.join("\n")}\n${sums.stdout}`;
}
