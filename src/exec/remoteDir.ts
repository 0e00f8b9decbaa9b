// Where a project lives on a worker: <remote_root>/<name>-<12 hex of sha256(local abs root)>, so
// two projects with one name never share a copy. A remote_root under ~ stays relative to the
// remote home: the remote script prefixes $HOME, rsync resolves it from the login dir.
import { basename } from "node:path";

export function remoteProjectDir(remoteRoot: string, localRoot: string): string {
  const hash = new Bun.CryptoHasher("sha256").update(localRoot).digest("hex").slice(0, 12);
  const name =
    basename(localRoot)
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .slice(0, 40) || "root";
  let base = remoteRoot;
  if (base === "~") base = "";
  else if (base.startsWith("~/")) base = base.slice(2);
  base = base.replace(/\/+$/, "");
  return base ? `${base}/${name}-${hash}` : `${name}-${hash}`;
}
