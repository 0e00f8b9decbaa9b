// Projects the round-trip scenarios write into their copies (Scenario's `populate`): shaped like
// real ones, small enough to build in seconds on the bed.

import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Files written in one go share a clock tick, and cargo fingerprints a build script without
 * rerun-if by the newest file of its package, breaking a tie by listing order, which follows the
 * file system's directory order (measured: the worker's tmpfs picked build.rs where this machine
 * picked src/main.rs, both at the same nanosecond). Real checkouts rarely tie on the newest file;
 * generated ones always do, so each file gets a second of its own, in the past. */
let tick = Math.floor(Date.now() / 1000) - 7200;

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
    tick += 1;
    utimesSync(join(root, rel), tick, tick);
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A crate as `cargo vendor` leaves it: its files, and .cargo-checksum.json with their sha256
 * (cargo checks them before building) and the package checksum Cargo.lock records. */
function vendoredCrate(root: string, name: string, version: string, lib: string): void {
  const files = {
    "Cargo.toml": `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\n`,
    "src/lib.rs": lib,
  };
  write(join(root, "vendor", name), files);
  const sums = Object.fromEntries(Object.entries(files).map(([rel, text]) => [rel, sha256(text)]));
  const checksum = { files: sums, package: sha256(`${name}-${version}`) };
  writeFileSync(join(root, "vendor", name, ".cargo-checksum.json"), JSON.stringify(checksum));
}

/** util's lib, with or without a warning (an unused variable): cargo caches a unit's warnings in
 * `.fingerprint/<unit>/output-lib-util` and deletes that file once the unit builds clean. */
export function utilLib(warn: boolean): string {
  return [
    "pub fn double(x: u32) -> u32 {",
    warn ? "    let unused = 1;" : "",
    "    x * 2",
    "}",
    "#[cfg(test)]",
    "mod tests {",
    "    #[test]",
    "    fn doubles() { assert_eq!(super::double(2), 4); }",
    "}",
    "",
  ].join("\n");
}

/**
 * A cargo workspace whose dependencies come from a vendored directory source (crates.io is not
 * reachable): the root package `app` (a bin, with a build script that declares no rerun-if, so
 * cargo fingerprints it by the newest file of the package as git lists them), members `wcore` (a
 * lib using vendored `vone`) and `util` (a lib with no dependencies, tests, and a build script
 * that can be held at a gate: CARGO_FX_GATE=<file> waits until that file exists, after writing
 * <file>.started). No Cargo.lock: cargo writes it.
 */
export function cargoVendored(root: string): void {
  vendoredCrate(root, "vone", "0.1.0", "pub fn one() -> u32 { 1 }\n");
  vendoredCrate(root, "vtwo", "0.2.0", "pub fn two() -> u32 { 2 }\n");
  write(root, {
    ".cargo/config.toml":
      '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "vendor"\n',
    ".gitignore": "/target/\n",
    "Cargo.toml": [
      "[package]",
      'name = "app"',
      'version = "0.1.0"',
      'edition = "2021"',
      "",
      "[dependencies]",
      'wcore = { path = "wcore" }',
      'util = { path = "util" }',
      'vtwo = "0.2"',
      "",
      "[workspace]",
      'members = ["wcore", "util"]',
      "",
    ].join("\n"),
    "build.rs": "fn main() {}\n",
    "src/main.rs":
      'fn main() { println!("{}", wcore::sum() + util::double(vtwo::two())); }\n#[test]\nfn sums() { assert_eq!(wcore::sum(), 2); }\n',
    "wcore/Cargo.toml":
      '[package]\nname = "wcore"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nvone = "0.1"\n',
    "wcore/src/lib.rs":
      "pub fn sum() -> u32 { vone::one() + 1 }\n#[cfg(test)]\nmod tests { #[test] fn sums() { assert_eq!(super::sum(), 2); } }\n",
    "util/Cargo.toml": '[package]\nname = "util"\nversion = "0.1.0"\nedition = "2021"\n',
    "util/build.rs": [
      "fn main() {",
      '    println!("cargo:rerun-if-env-changed=CARGO_FX_GATE");',
      '    if let Ok(gate) = std::env::var("CARGO_FX_GATE") {',
      '        std::fs::write(format!("{gate}.started"), "").unwrap();',
      "        for _ in 0..2400 {",
      "            if std::path::Path::new(&gate).exists() { break; }",
      "            std::thread::sleep(std::time::Duration::from_millis(50));",
      "        }",
      "    }",
      "}",
      "",
    ].join("\n"),
    "util/src/lib.rs": utilLib(false),
  });
}

/** The header of a 64-bit little-endian AArch64 executable (e_machine 183), as printf octal. */
const AARCH64_ELF = String.raw`\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\267\000`;

/** Plain make with pattern rules: objects beside their sources, a program at the top; `foreign`
 * writes another machine's executable (an AArch64 ELF header), as a cross build would. */
export function makeProject(root: string): void {
  write(root, {
    Makefile: [
      "CC = gcc",
      "CFLAGS = -O2 -Wall",
      "OBJS = src/main.o src/util.o",
      "",
      "prog: $(OBJS)",
      "\t$(CC) -o $@ $(OBJS)",
      "",
      "%.o: %.c src/util.h",
      "\t$(CC) $(CFLAGS) -c -o $@ $<",
      "",
      "foreign: foreign.src",
      `\tprintf '${AARCH64_ELF}' > $@`,
      "\tchmod +x $@",
      "",
    ].join("\n"),
    "src/util.h": "int twice(int x);\n",
    "src/util.c": '#include "util.h"\nint twice(int x) { return 2 * x; }\n',
    "src/main.c":
      '#include <stdio.h>\n#include "util.h"\nint main(void) { printf("%d\\n", twice(21)); return 0; }\n',
    "foreign.src": "the recipe ignores this: it only makes `foreign` out of date\n",
  });
}

/** A tiny autotools package (configure.ac + Makefile.am), to be configured with autoreconf and
 * ./configure here before make runs remotely. */
export function autotoolsProject(root: string): void {
  write(root, {
    "configure.ac": [
      "AC_INIT([tiny], [1.0])",
      "AM_INIT_AUTOMAKE([foreign subdir-objects])",
      "AC_PROG_CC",
      "AC_CONFIG_HEADERS([config.h])",
      "AC_CONFIG_FILES([Makefile])",
      "AC_OUTPUT",
      "",
    ].join("\n"),
    "Makefile.am": "bin_PROGRAMS = tiny\ntiny_SOURCES = src/main.c src/util.c src/util.h\n",
    "src/util.h": "int twice(int x);\n",
    "src/util.c": '#include "util.h"\nint twice(int x) { return 2 * x; }\n',
    "src/main.c":
      '#include <config.h>\n#include <stdio.h>\n#include "util.h"\nint main(void) { printf("%s %d\\n", PACKAGE_STRING, twice(21)); return 0; }\n',
  });
}

/** A file made executable (for a pre-existing local program the test checks is left alone). */
export function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A crate whose build script writes another machine's executable (an AArch64 ELF header, mode
 * 755) into its OUT_DIR under target/: the worker reports it before anything is pulled. */
export function cargoForeign(root: string): void {
  write(root, {
    "Cargo.toml": '[package]\nname = "fx-foreign"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/main.rs": "fn main() {}\n",
    "build.rs": [
      "use std::os::unix::fs::PermissionsExt;",
      "fn main() {",
      '    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("foreign");',
      "    let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1];",
      "    elf.resize(18, 0);",
      "    elf.extend_from_slice(&[183, 0]);",
      "    std::fs::write(&out, &elf).unwrap();",
      "    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();",
      "}",
      "",
    ].join("\n"),
  });
}
