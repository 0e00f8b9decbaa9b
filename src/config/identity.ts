// Who this installation is, to the workers it shares with other workstations: a random client id
// made once and kept in the state dir, and a readable name (general.client_name, else the host
// name). The id goes into every copy name, so two workstations never build in one copy even when
// their project paths and worker accounts are the same; the name shows in slot notes and stamps.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./paths.ts";
import { smallText } from "./smallFile.ts";

export interface ClientIdentity {
  /** 16 hex digits. */
  id: string;
  name: string;
}

const ID = /^[0-9a-f]{16}$/;

/** `bytes` random bytes as hex, from Web Crypto: loading node:crypto for its randomBytes cost
 * ~5.4 M instructions per process (callgrind, compiled stub), on every `rch exec`. */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

export function clientIdFile(): string {
  return join(stateDir(), "client-id");
}

/** The id, made on first use. Two processes making it at once may each write one; the rename is
 * atomic and both then read the same winner back. */
export function clientId(): string {
  const file = clientIdFile();
  const have = smallText(file)?.trim();
  if (have && ID.test(have)) return have;
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${randomHex(8)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return smallText(file)!.trim();
}

/** A name that travels inside space-separated notes on the worker: no spaces or controls. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._@-]/g, "_").slice(0, 64) || "unnamed";
}

export function clientIdentity(configuredName: string): ClientIdentity {
  return { id: clientId(), name: safeName(configuredName || hostName()) };
}

/** The host name: the kernel's, as a file, or node:os (~0.4 M instructions to load) elsewhere. */
function hostName(): string {
  return (
    smallText("/proc/sys/kernel/hostname")?.trim() ||
    (require("node:os") as typeof import("node:os")).hostname()
  );
}
