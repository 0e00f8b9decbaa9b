// Host-level resources of a fleet: throwaway users, mounts, free ports.
import { readFileSync } from "node:fs";
import { must, run } from "./proc.ts";

export interface PasswdEntry {
  name: string;
  uid: number;
  home: string;
}

export function passwd(): PasswdEntry[] {
  return readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .filter((l) => l.includes(":"))
    .map((l) => {
      const f = l.split(":");
      return { name: f[0] ?? "", uid: Number(f[2]), home: f[5] ?? "" };
    });
}

// useradd/userdel take a lock on /etc/passwd; a concurrent fleet (another test process) may hold it
// for a moment, which shows up as exit 1/10 with "cannot lock". Retry those instead of failing.
async function withPasswdLock(argv: string[], okCodes: number[]): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await run(argv, { timeoutMs: 10_000 });
    if (okCodes.includes(r.code) && !r.timedOut) return;
    const locked = /lock|try again/i.test(r.stderr);
    if (!locked || Date.now() > end) {
      throw new Error(`test bed: \`${argv.join(" ")}\` exited ${r.code}: ${r.stderr.trim()}`);
    }
    await Bun.sleep(20 + Math.random() * 80);
  }
}

/** A login-capable user with a /etc/skel home (its .bashrc returns early for ssh commands).
 * Password '*' rather than useradd's '!': a locked account is refused by sshd without PAM. */
export async function createUser(name: string, home: string): Promise<number> {
  await withPasswdLock(["useradd", "-m", "-d", home, "-s", "/bin/bash", "-p", "*", name], [0]);
  const entry = passwd().find((e) => e.name === name);
  if (!entry) throw new Error(`test bed: useradd ${name} succeeded but the user is not in /etc/passwd`);
  return entry.uid;
}

/** The user's login shell (what sshd hands every remote command to). */
export async function setLoginShell(name: string, shell: string): Promise<void> {
  await withPasswdLock(["usermod", "-s", shell, name], [0]);
}

/** -f: remove even if a zombie still carries the uid; 6 = no such user (already gone). No -r:
 * the home lives on the fleet's tmpfs, which is unmounted right after. */
export async function deleteUser(name: string): Promise<void> {
  await withPasswdLock(["userdel", "-f", name], [0, 6]);
}

/** Mount points at or below `dir`, deepest first (the order they must be unmounted in). */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  // Later lines are mounted on top of earlier ones: reverse, then deepest path first.
  return points.reverse().sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    const r = await run(["umount", point], { timeoutMs: 5000 });
    // Busy (a straggler still has a cwd there): detach lazily so nothing stays visible.
    if (r.code !== 0) await must(["umount", "-l", point], { timeoutMs: 5000 });
  }
}

export async function mountTmpfs(dir: string, sizeMiB: number): Promise<void> {
  await must(["mount", "-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=755`, "rchbed", dir], { timeoutMs: 5000 });
}

/** A tmpfs of `size` (mount syntax: "64m") at `dir`, its root owned by uid (group = uid, as the
 * bed's other dirs). */
export async function mountTmpfsAs(dir: string, size: string, uid: number): Promise<void> {
  if (!/^\d+[kmg]?$/.test(size)) throw new Error(`test bed: rootSize ${JSON.stringify(size)} is not a size`);
  await must(
    ["mount", "-t", "tmpfs", "-o", `size=${size},mode=755,uid=${uid},gid=${uid}`, "rchbed-root", dir],
    {
      timeoutMs: 5000,
    },
  );
}

/** Read-only bind of a file or directory (util-linux ≥ 2.27 applies ro to the bind itself). */
export async function bindReadOnly(src: string, dst: string): Promise<void> {
  await must(["mount", "--bind", "-o", "ro", src, dst], { timeoutMs: 5000 });
}

// Random ports below Linux's ephemeral range (32768+): ports in that range are also handed out to
// outgoing connections (every ssh/rsync a test makes), which would make a checked port flaky.
const PORT_LO = 20000;
const PORT_HI = 32767;

function portFree(port: number): boolean {
  try {
    const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    server.stop(true);
    return true;
  } catch {
    return false;
  }
}

/** A port that is free right now (sshd rejects Port 0). A race with another process is still
 * possible; the caller retries sshd on "Address already in use". */
export function freePort(avoid: ReadonlySet<number> = new Set()): number {
  for (let i = 0; i < 200; i++) {
    const port = PORT_LO + Math.floor(Math.random() * (PORT_HI - PORT_LO + 1));
    if (!avoid.has(port) && portFree(port)) return port;
  }
  throw new Error(`test bed: no free port found in ${PORT_LO}-${PORT_HI} after 200 tries`);
}
