// The tree fingerprint as a sum of one hash per entry (path and its four numbers), in four 32-bit
// lanes mod 2^32: 128 bits that do not depend on the order entries are added in. That is what
// lets rchd's live view (src/daemon/treeview) keep the same fingerprint as the full scan up to
// date by subtracting an entry's old hash and adding its new one, instead of re-hashing 200,000
// entries in walk order per build. Accidental collisions are what matters here (change
// detection, not an adversary): per-entry hashes are murmur3-mixed 32-bit lanes with distinct
// seeds. Plain JS with Math.imul: ~1.2 µs per entry cold (a 200,000-entry scan adds ~0.2 s to
// ~1.3 s of lstat), where Bun.hash's BigInts cost ~4.5 µs cold.

const nums = new Float64Array(4);
const words = new Uint32Array(nums.buffer);

function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  const y = h ^ x;
  return (Math.imul((y << 13) | (y >>> 19), 5) + 0xe6546b64) | 0;
}

function fin(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class TreeHash {
  private readonly lanes = new Uint32Array(4);

  /** sign 1 adds the entry, −1 takes it out again. */
  private apply(path: string, size: number, mtimeMs: number, mode: number, ino: number, sign: number) {
    let a = 0x12345678;
    let b = 0x9abcdef0 | 0;
    let c = 0x0badf00d;
    let d = 0x5eed1234;
    for (let i = 0; i < path.length; i++) {
      const ch = path.charCodeAt(i);
      a = mix(a, ch);
      b = mix(b, ch ^ 0x5bd1e995);
    }
    nums[0] = size;
    nums[1] = mtimeMs;
    nums[2] = mode;
    nums[3] = ino;
    for (let j = 0; j < 8; j++) {
      const k = words[j]!;
      c = mix(c, k);
      d = mix(d, k ^ 0x27d4eb2f);
    }
    c = mix(c, a);
    d = mix(d, b);
    a = mix(a, d);
    b = mix(b, c);
    const l = this.lanes;
    l[0] = l[0]! + sign * fin(a);
    l[1] = l[1]! + sign * fin(b);
    l[2] = l[2]! + sign * fin(c);
    l[3] = l[3]! + sign * fin(d);
  }

  add(path: string, size: number, mtimeMs: number, mode: number, ino: number): void {
    this.apply(path, size, mtimeMs, mode, ino, 1);
  }

  remove(path: string, size: number, mtimeMs: number, mode: number, ino: number): void {
    this.apply(path, size, mtimeMs, mode, ino, -1);
  }

  hex(): string {
    let s = "";
    for (const x of this.lanes) s += x.toString(16).padStart(8, "0");
    return s;
  }
}
