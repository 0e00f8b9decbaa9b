// Is a sandbox refusing sockets? Bun reports a unix connect that seccomp refused (EPERM) as
// ECONNREFUSED, for a live rchd and a missing socket alike (measured under Codex's sandboxes), so
// the errno is asked of libc directly: socket(AF_UNIX) + connect(path). Only on the failure
// path, ~3 ms (dlopen included), once per process; anything unexpected answers "no".
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const EPERM = 1;
/** sizeof(struct sockaddr_un) on Linux: 2 bytes of family, 108 of path. */
const SUN_LEN = 110;

/** A process does not change sandboxes: the first real answer stands (autostart polls connect). */
let answer: boolean | undefined;

export async function connectForbidden(socketPath: string): Promise<boolean> {
  answer ??= await probe(socketPath);
  return answer;
}

/** The probe itself, unmemoised. */
export async function probe(socketPath: string): Promise<boolean> {
  const path = Buffer.from(socketPath);
  if (process.platform !== "linux" || path.length >= SUN_LEN - 2) return false;
  try {
    const { dlopen, FFIType, ptr, toArrayBuffer } = await import("bun:ffi");
    const lib = dlopen(process.versions.musl ? "libc.so" : "libc.so.6", {
      socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
    try {
      const f = lib.symbols;
      const errno = () => new Int32Array(toArrayBuffer(f.__errno_location()!, 0, 4))[0];
      const fd = f.socket(AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0) return errno() === EPERM;
      const addr = Buffer.alloc(SUN_LEN);
      addr.writeUInt16LE(AF_UNIX, 0);
      path.copy(addr, 2);
      const r = f.connect(fd, ptr(addr), SUN_LEN);
      const err = r < 0 ? errno() : 0;
      f.close(fd);
      return err === EPERM;
    } finally {
      lib.close();
    }
  } catch {
    return false;
  }
}
