// One line an agent can act on, from the stderr of a tool that failed (ssh, rsync over ssh, tar).
// The cause is rarely the first or the last line: ssh wraps a changed host key in a dozen lines of
// banner, a refused mux session adds "ControlSocket … already exists, disabling multiplexing", and
// rsync follows every connection failure with "connection unexpectedly closed" and an "rsync
// error: … (code N)" summary. So: a connection-level cause wins (it is why everything else
// failed), then a full disk, then the tool's first line that is neither noise nor a consequence.

import { socketsForbidden } from "../shell/sandbox.ts";

/** Lines that are never the cause: ssh's banners and notices. */
const NOISE: readonly RegExp[] = [
  /^@/,
  /^IT IS POSSIBLE THAT SOMEONE/,
  /^Someone could be eavesdropping/,
  /^It is also possible that a host key/,
  /^The fingerprint for the/,
  /^SHA256:/,
  /^Please contact your system administrator/,
  /^Add correct host key in/,
  /^Offending .* key in/,
  /^remove with:/,
  /^ssh-keygen -f/,
  /^ControlSocket .* already exists, disabling multiplexing/,
  /^mux_client_/,
  /^Warning: Permanently added/,
  /^Pseudo-terminal will not be allocated/,
  /^(Password|Keyboard-interactive|Agent forwarding|Port forwarding) .* disabled/,
];

/** Lines that only report that something else failed. */
const CONSEQUENCE: readonly RegExp[] = [
  /^rsync error: /,
  /^rsync: connection unexpectedly closed/,
  /^rsync: \[\w+\] write error: Broken pipe/,
  /^tar: Exiting with failure status/,
];

/** Connection-level causes, most specific first, each with the words shown for it. */
const CONNECTION: readonly [RegExp, (line: string) => string][] = [
  [/REMOTE HOST IDENTIFICATION HAS CHANGED|^Host key for .* has changed/, () => "worker host key changed"],
  [/^Host key verification failed/, () => "worker host key not trusted"],
  // ssh's own words when a sandbox refuses socket(2) (Codex's default sandboxes).
  [/^socket: Operation not permitted/, () => socketsForbidden("ssh")],
  [
    /Permission denied|Connection refused|Connection timed out|timed out during banner exchange|No route to host|Could not resolve hostname|Network is unreachable|Connection reset|Connection closed by|kex_exchange_identification|Operation not permitted|Too many authentication failures/,
    (line) => line,
  ],
];

const FULL = /No space left on device|Disk quota exceeded/;

function lines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !NOISE.some((re) => re.test(l)));
}

export interface Diagnosis {
  line: string;
  /** The connection failed (ssh's words, whichever tool met it), or the tool itself did. */
  level: "connection" | "tool";
}

/** `tool exited N` when nothing better is there. */
export function diagnose(stderr: string, code: number, tool: string): Diagnosis {
  const all = lines(stderr);
  for (const [re, words] of CONNECTION) {
    const hit = all.find((l) => re.test(l));
    if (hit) return { line: words(hit).replace(/\.$/, ""), level: "connection" };
  }
  const cause = all.find((l) => FULL.test(l)) ?? all.find((l) => !CONSEQUENCE.some((re) => re.test(l)));
  return { line: cause ? cause.replace(/\.$/, "") : `${tool} exited ${code}`, level: "tool" };
}
