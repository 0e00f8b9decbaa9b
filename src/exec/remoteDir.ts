// Where a project lives on a worker: <remote_root>/<name>-<12 hex of sha256(client id, NUL, local
// abs root)>, so two projects with one name never share a copy, and neither do two workstations
// with the same project path (the client id is per installation: config/identity.ts). A
// remote_root under ~ stays relative to the remote home: the remote script prefixes $HOME, rsync
// resolves it from the login dir.
import { basename } from "node:path";

export function remoteProjectDir(remoteRoot: string, localRoot: string, clientId: string): string {
  const hash = new Bun.CryptoHasher("sha256").update(`${clientId}\0${localRoot}`).digest("hex").slice(0, 12);
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
