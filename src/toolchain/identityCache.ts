// A tool's identity (`rustc -vV`, `cc --version`…) costs a process: 53 ms for rustc, ~9 ms for
// gcc. It only changes when the binary does, so it is cached on disk under a cheap key — the
// binary's real path and stat (size, mtime, ctime, inode), the same facts cargo trusts for
// target/.rustc_info.json (plus the inode: `rustup update` replaces files). A warm `rch exec` reads
// one small JSON file and stats a file: no spawn. A toolchain swapped in place changes the key, so
// the very next build asks the tool again.
import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../config/paths.ts";
import { readSmallFile } from "../config/smallFile.ts";

/** Entries kept: far more toolchains than any machine has; oldest dropped first. */
const MAX_ENTRIES = 64;

function cacheFile(): string {
  return join(cacheDir(), "toolchain-ids.json");
}

/** The cheap key of a binary, or undefined when it cannot be stat'ed. */
export function binaryKey(realPath: string): string | undefined {
  try {
    const s = statSync(realPath, { bigint: true });
    return `${realPath}|${s.size}|${s.mtimeNs}|${s.ctimeNs}|${s.ino}`;
  } catch {
    return undefined;
  }
}

function load(): Record<string, string> {
  const f = readSmallFile(cacheFile());
  if (f.kind !== "file") return {};
  try {
    const v = JSON.parse(f.bytes.toString("utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function cachedIdentity(key: string): string | undefined {
  const v = load()[key];
  return typeof v === "string" ? v : undefined;
}

/** Best effort: a read-only cache dir only costs the next build the same spawn again. */
export function storeIdentity(key: string, identity: string): void {
  try {
    const all = load();
    delete all[key];
    all[key] = identity;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete all[k];
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    const tmp = `${cacheFile()}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all));
    renameSync(tmp, cacheFile());
  } catch {
    // ignore: see above
  }
}

/** Runs `argv` (bounded) and returns its stdout when it exits 0. */
export async function toolOutput(argv: readonly string[], timeoutMs = 5000): Promise<string | undefined> {
  try {
    const p = Bun.spawn([...argv], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    const timer = setTimeout(() => p.kill(9), timeoutMs);
    const out = await new Response(p.stdout).text();
    const code = await p.exited;
    clearTimeout(timer);
    return code === 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

/** The identity `what` of a binary: from the cache when its key is known, else by running `probe`. */
export async function identityOf(
  what: string,
  realPath: string,
  probe: () => Promise<string | undefined>,
): Promise<string | undefined> {
  const stat = binaryKey(realPath);
  if (stat === undefined) return undefined;
  // One binary may be asked different things (a compiler's --version vs a tool's).
  const key = `${what}:${stat}`;
  const hit = cachedIdentity(key);
  if (hit !== undefined) return hit;
  const fresh = await probe();
  if (fresh !== undefined) storeIdentity(key, fresh);
  return fresh;
}
