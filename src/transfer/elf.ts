// Returned executables must run here: a worker of another architecture (or a build that writes
// another machine's binary) must not leave an executable in the project that this machine cannot
// start. An ELF file is judged by its class (32/64-bit) and machine (e_machine) against those of
// the program running rch, which this machine runs by definition. The worker reports the header
// bytes of the executables it wrote in output dirs (run.sh's exe notes); in-tree files are read
// here from the staging dir. Both are judged before anything is placed.
import { closeSync, openSync, readSync } from "node:fs";

/** EI_CLASS, EI_DATA, and e_machine's two bytes as stored (byte 18, byte 19). */
export type ElfIdent = readonly [number, number, number, number];

interface Format {
  bits: 32 | 64 | 0;
  machine: number;
}

const MACHINES: Record<number, string> = {
  3: "x86",
  8: "MIPS",
  20: "PowerPC",
  21: "PowerPC64",
  22: "S/390",
  40: "ARM",
  62: "x86-64",
  183: "AArch64",
  243: "RISC-V",
  258: "LoongArch",
};

function formatOf(id: ElfIdent): Format {
  const [cls, data, b18, b19] = id;
  // EI_DATA 2 = big-endian: e_machine's high byte comes first.
  const machine = data === 2 ? (b18 << 8) | b19 : (b19 << 8) | b18;
  return { bits: cls === 1 ? 32 : cls === 2 ? 64 : 0, machine };
}

function describe(f: Format): string {
  const name = MACHINES[f.machine] ?? `machine ${f.machine}`;
  return f.bits ? `${name} (${f.bits}-bit)` : name;
}

/** The ident of an ELF file's first 20 bytes; undefined when they are not an ELF header. */
export function identOf(head: Uint8Array): ElfIdent | undefined {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46)
    return undefined;
  return [head[4]!, head[5]!, head[18]!, head[19]!];
}

/** The first 20 bytes of a file, as an ident (undefined: not ELF, or unreadable). */
export function identOfFile(path: string): ElfIdent | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(20);
    return identOf(head.subarray(0, readSync(fd, head, 0, 20, 0)));
  } finally {
    closeSync(fd);
  }
}

let here: Format | null | undefined;

/** This machine's format: the one of the executable running rch (bun, or rch's own binary).
 * null when that is not ELF (macOS): no ELF executable runs here then. */
function localFormat(): Format | null {
  if (here === undefined) {
    const id = identOfFile(process.execPath);
    here = id ? formatOf(id) : null;
  }
  return here;
}

/** Why an executable with this ident cannot run here, or undefined when it can. */
export function foreignReason(rel: string, id: ElfIdent): string | undefined {
  const f = formatOf(id);
  const mine = localFormat();
  if (mine && f.bits === mine.bits && f.machine === mine.machine) return undefined;
  const runs = mine ? `this machine runs ${describe(mine)}` : "this machine does not run ELF executables";
  return `${rel} is an executable for ${describe(f)}; ${runs}`;
}
