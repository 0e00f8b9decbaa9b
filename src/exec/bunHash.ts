// bun projects never sync node_modules; the worker runs `bun install` itself whenever the
// manifest or lockfile differs from the last install there. This is the hash it compares.
import { join } from "node:path";
import { smallBytes } from "../config/smallFile.ts";

export function bunHash(dir: string): string | undefined {
  const h = new Bun.CryptoHasher("sha256");
  let found = false;
  for (const name of ["package.json", "bun.lock", "bun.lockb"]) {
    const bytes = smallBytes(join(dir, name));
    if (bytes) {
      h.update(name).update(bytes);
      found = true;
    } else {
      h.update(`${name}:absent`);
    }
  }
  return found ? h.digest("hex").slice(0, 16) : undefined;
}
