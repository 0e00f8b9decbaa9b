// bun projects never sync node_modules; the worker runs `bun install` itself whenever the
// manifest or lockfile differs from the last install there. This is the hash it compares.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function bunHash(dir: string): string | undefined {
  const h = new Bun.CryptoHasher("sha256");
  let found = false;
  for (const name of ["package.json", "bun.lock", "bun.lockb"]) {
    try {
      h.update(name).update(readFileSync(join(dir, name)));
      found = true;
    } catch {
      h.update(`${name}:absent`);
    }
  }
  return found ? h.digest("hex").slice(0, 16) : undefined;
}
