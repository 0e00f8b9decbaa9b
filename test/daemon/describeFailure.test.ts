// The daemon's words for a failed remote command (heartbeat, toolchain probe, benchmark): ssh's
// own failures as `rch exec` words them, since a build's fallback line may quote them.
import { expect, test } from "bun:test";
import { describeFailure } from "../../src/daemon/ssh.ts";

const result = (code: number, stderr: string) => ({ code, stderr, stdout: "", timedOut: false, ms: 12 });

test("ssh's failures in rch's words; a program's own failure with its exit code and last line", () => {
  const banner = [
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.",
    "Host key verification failed.",
  ].join("\n");
  expect(describeFailure(result(255, banner))).toBe("worker host key changed");
  expect(describeFailure(result(255, "ssh: connect to host 127.0.0.1 port 9: Connection refused\n"))).toBe(
    "ssh: connect to host 127.0.0.1 port 9: Connection refused",
  );
  expect(describeFailure(result(2, "df: /nope: No such file or directory\n"))).toBe(
    "exit 2: df: /nope: No such file or directory",
  );
  expect(describeFailure({ ...result(255, ""), timedOut: true })).toBe("timed out after 12 ms");
});
