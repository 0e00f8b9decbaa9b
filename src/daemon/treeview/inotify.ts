// Linux inotify through libc (bun:ffi), for the daemon's live views of project trees (view.ts).
// Not a watcher library: the view must be able to say "every change made before this moment is
// in" when a build asks, and inotify gives exactly that — the kernel queues an event inside the
// syscall that made the change, so one non-blocking read to EAGAIN (drain) sees every change
// that completed before it. Node's fs.watch and the libraries on top of it deliver events later,
// on the event loop, and hide the queue overflow (IN_Q_OVERFLOW) the view must turn into a full
// rescan.

const IN_NONBLOCK = 0o4000;
const IN_CLOEXEC = 0o2000000;

export const IN = {
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  UNMOUNT: 0x2000,
  Q_OVERFLOW: 0x4000,
  IGNORED: 0x8000,
  ONLYDIR: 0x01000000,
  DONT_FOLLOW: 0x02000000,
  EXCL_UNLINK: 0x04000000,
  ISDIR: 0x40000000,
} as const;

/** What a watched dir reports: every change to its entries and to itself. */
export const DIR_MASK =
  IN.MODIFY |
  IN.ATTRIB |
  IN.CLOSE_WRITE |
  IN.MOVED_FROM |
  IN.MOVED_TO |
  IN.CREATE |
  IN.DELETE |
  IN.DELETE_SELF |
  IN.MOVE_SELF |
  IN.ONLYDIR |
  IN.DONT_FOLLOW |
  IN.EXCL_UNLINK;

export interface InotifyEvent {
  wd: number;
  mask: number;
  /** The entry's name in the watched dir; "" for an event about the dir itself. */
  name: string;
}

const ENOSPC = 28;
const EAGAIN = 11;
/** Room for ~2,000 events with short names per read(2). */
const BUF_BYTES = 64 * 1024;

type Lib = Awaited<ReturnType<typeof open>>;

async function open() {
  const { dlopen, FFIType } = await import("bun:ffi");
  return dlopen(process.versions.musl ? "libc.so" : "libc.so.6", {
    inotify_init1: { args: [FFIType.i32], returns: FFIType.i32 },
    inotify_add_watch: { args: [FFIType.i32, FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
    inotify_rm_watch: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
}

export class WatchLimitError extends Error {}

export class Inotify {
  private readonly buf = new Uint8Array(BUF_BYTES);
  private closed = false;

  private constructor(
    private readonly lib: Lib,
    private readonly fd: number,
    private readonly toArrayBuffer: typeof import("bun:ffi").toArrayBuffer,
    private readonly ptr: typeof import("bun:ffi").ptr,
  ) {}

  static async create(): Promise<Inotify> {
    if (process.platform !== "linux") throw new Error("inotify is Linux-only");
    const lib = await open();
    const { toArrayBuffer, ptr } = await import("bun:ffi");
    const fd = lib.symbols.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      lib.close();
      throw new Error(
        `inotify_init1 failed (errno ${new Int32Array(toArrayBuffer(lib.symbols.__errno_location()!, 0, 4))[0]})`,
      );
    }
    return new Inotify(lib, fd, toArrayBuffer, ptr);
  }

  private errno(): number {
    return new Int32Array(this.toArrayBuffer(this.lib.symbols.__errno_location()!, 0, 4))[0]!;
  }

  /** The watch descriptor for `path` (the same one again for an inode already watched), or
   * undefined when the dir is gone or unreadable. Throws WatchLimitError at the user's limit. */
  add(path: string, mask = DIR_MASK): number | undefined {
    const wd = this.lib.symbols.inotify_add_watch(this.fd, Buffer.from(`${path}\0`), mask);
    if (wd >= 0) return wd;
    if (this.errno() === ENOSPC) {
      throw new WatchLimitError("inotify watch limit reached (fs.inotify.max_user_watches)");
    }
    return undefined;
  }

  remove(wd: number): void {
    this.lib.symbols.inotify_rm_watch(this.fd, wd);
  }

  /** Every event queued now, without waiting. */
  drain(): InotifyEvent[] {
    const events: InotifyEvent[] = [];
    const view = new DataView(this.buf.buffer);
    for (;;) {
      const n = Number(this.lib.symbols.read(this.fd, this.ptr(this.buf), BUF_BYTES));
      if (n <= 0) {
        if (n < 0 && this.errno() !== EAGAIN) throw new Error(`inotify read failed (errno ${this.errno()})`);
        return events;
      }
      for (let o = 0; o < n; ) {
        const wd = view.getInt32(o, true);
        const mask = view.getUint32(o + 4, true);
        const len = view.getUint32(o + 12, true);
        const raw = this.buf.subarray(o + 16, o + 16 + len);
        const end = raw.indexOf(0);
        const name = Buffer.from(raw.buffer, raw.byteOffset, end === -1 ? len : end).toString("utf8");
        events.push({ wd, mask, name });
        o += 16 + len;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lib.symbols.close(this.fd);
    this.lib.close();
  }
}
