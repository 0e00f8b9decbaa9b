// How to invoke this very rch from a shell line, by absolute path (the agent's PATH may not
// have it). A compiled binary is its own execPath; under `bun src/bin/rch.ts` it is bun + script.
import { realpathSync } from "node:fs";
import { basename } from "node:path";

export function selfArgv(): string[] {
  const exe = safeRealpath(process.execPath);
  const name = basename(exe);
  if (name === "bun" || name === "bun.exe" || name === "node") {
    const script = process.argv[1];
    if (script) return [exe, safeRealpath(script)];
  }
  return [exe];
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
