import { isAbsolute, relative } from "node:path";

/** path is dir itself or below it (both absolute, already resolved the way the caller wants). */
export function isInsideDir(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel));
}
