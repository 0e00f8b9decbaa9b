// ssh inside a sandbox that refuses socket(2) (Codex's read-only and workspace-write), as OpenSSH
// 9.2 printed it under `codex sandbox`: the line must name the sandbox and how to allow sockets.
import { expect, test } from "bun:test";
import { diagnose } from "../../src/ssh/diagnose.ts";

test("ssh's 'socket: Operation not permitted' names the sandbox, also behind rsync", () => {
  const ssh = "socket: Operation not permitted\nssh: connect to host 127.0.0.1 port 2222: failure\n";
  const d = diagnose(ssh, 255, "ssh");
  expect(d.level).toBe("connection");
  expect(d.line).toContain("the sandbox forbids sockets (ssh: Operation not permitted)");
  expect(d.line).toContain("sandbox_workspace_write.network_access=true");
  const rsync = `${ssh}rsync: connection unexpectedly closed (0 bytes received so far) [sender]\nrsync error: unexplained error (code 255) at io.c(232) [sender=3.2.7]\n`;
  expect(diagnose(rsync, 255, "rsync").line).toBe(d.line);
});
