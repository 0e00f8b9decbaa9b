// diagnose(): the one line shown when ssh, rsync or tar fails. Samples are what OpenSSH 9.2 and
// rsync 3.2/3.5 print on this machine kind for each failure.
import { describe, expect, test } from "bun:test";
import { diagnose } from "../../src/ssh/diagnose.ts";
import { describeSshFailure } from "../../src/ssh/master.ts";

const hostKeyBanner = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:3q4Kf0m1l1wQmSg0TqkZ0WZr2v8m0d7oO5pQ2Yb5pWc.
Please contact your system administrator.
Add correct host key in /tmp/rchbed-1a2b/client/known_hosts to get rid of this message.
Offending ED25519 key in /tmp/rchbed-1a2b/client/known_hosts:1
  remove with:
  ssh-keygen -f "/tmp/rchbed-1a2b/client/known_hosts" -R "[127.0.0.1]:40123"
Host key for [127.0.0.1]:40123 has changed and you have requested strict checking.
Host key verification failed.
`;

describe("diagnose", () => {
  test("rsync over ssh meeting a changed host key: the host key, not the banner", () => {
    const stderr = `${hostKeyBanner}rsync: connection unexpectedly closed (0 bytes received so far) [sender]
rsync error: unexplained error (code 255) at io.c(232) [sender=3.2.7]
`;
    expect(diagnose(stderr, 255, "rsync")).toEqual({ line: "worker host key changed", level: "connection" });
  });

  test("a refused mux session does not hide rsync's real error", () => {
    const stderr = `ControlSocket /root/.cache/rch/ssh/0f1e2d3c4b5a69788796a5b4 already exists, disabling multiplexing
rsync: [receiver] mkstemp "/home/w/.cache/rch/projects/p-abc/src/.main.c.Xy12" failed: No space left on device (28)
rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [generator=3.2.7]
`;
    expect(diagnose(stderr, 23, "rsync").line).toMatch(
      /^rsync: \[receiver\] mkstemp .* No space left on device \(28\)$/,
    );
  });

  test("a full disk wins over an earlier, lesser line", () => {
    const stderr = `rsync: [receiver] failed to set times on "/w/p/src": Operation not supported (95)
rsync: [receiver] write failed on "/w/p/big.bin": No space left on device (28)
rsync error: error in file IO (code 11) at receiver.c(380) [receiver=3.2.7]
`;
    expect(diagnose(stderr, 11, "rsync").line).toContain("No space left on device");
  });

  test("connection refused, timed out, permission denied: ssh's own line", () => {
    expect(describeSshFailure("ssh: connect to host 127.0.0.1 port 40123: Connection refused\r\n", 255)).toBe(
      "ssh: connect to host 127.0.0.1 port 40123: Connection refused",
    );
    expect(
      describeSshFailure(
        "Connection timed out during banner exchange\r\nConnection to 127.0.0.1 port 40123 timed out\r\n",
        255,
      ),
    ).toBe("Connection timed out during banner exchange");
    expect(describeSshFailure("rchbw1@127.0.0.1: Permission denied (publickey).\r\n", 255)).toBe(
      "rchbw1@127.0.0.1: Permission denied (publickey)",
    );
  });

  test("an unknown key: not trusted", () => {
    const stderr =
      "No ED25519 host key is known for [127.0.0.1]:40123 and you have requested strict checking.\nHost key verification failed.\n";
    expect(describeSshFailure(stderr, 255)).toBe("worker host key not trusted");
  });

  test("nothing useful: the tool and its code", () => {
    expect(diagnose("\n\n", 12, "rsync")).toEqual({ line: "rsync exited 12", level: "tool" });
    expect(
      diagnose("rsync error: error in rsync protocol data stream (code 12) at io.c(232)\n", 12, "rsync").line,
    ).toBe("rsync exited 12");
  });
});
