// Which Rust toolchain a `cargo`/`rustc` started here would run, decided the way rustup decides it
// (rustup book, "Overrides"), from files alone: spawning `rustup show active-toolchain` costs
// 30 ms, reading settings.toml and a few stat calls cost microseconds. The order:
//   1. `+toolchain` as the first argument of cargo/rustc;
//   2. RUSTUP_TOOLCHAIN;
//   3. walking up from the cwd: at each dir, a directory override (`rustup override set`, kept in
//      $RUSTUP_HOME/settings.toml [overrides]) first, then `rust-toolchain`, then
//      `rust-toolchain.toml` — so the closer of an override and a toolchain file wins;
//   4. settings.toml's default_toolchain.
// A name is then made rustup's full name (`stable` → `stable-<host>`) unless a toolchain dir of
// that exact name exists (a linked custom toolchain, or a name that already ends in a triple).
import { existsSync, realpathSync } from "node:fs";
import { arch, platform } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse } from "smol-toml";
import { readSmallFile } from "../config/smallFile.ts";

/** Where the name came from, in the words rustup exports as RUSTUP_TOOLCHAIN_SOURCE. */
export type RustupSource = "cli" | "env" | "override" | "toolchain-file" | "default";

export type RustupChoice =
  | { ok: true; name: string; dir: string; source: RustupSource; origin?: string }
  | { ok: false; reason: string };

interface Settings {
  default?: string;
  host?: string;
  overrides: Map<string, string>;
}

function text(path: string): string | undefined {
  const f = readSmallFile(path);
  return f.kind === "file" ? f.bytes.toString("utf8") : undefined;
}

function readSettings(rustupHome: string): Settings {
  const s: Settings = { overrides: new Map() };
  const t = text(join(rustupHome, "settings.toml"));
  if (t === undefined) return s;
  try {
    const doc = parse(t) as Record<string, unknown>;
    if (typeof doc.default_toolchain === "string") s.default = doc.default_toolchain;
    if (typeof doc.default_host_triple === "string") s.host = doc.default_host_triple;
    const o = doc.overrides;
    if (o && typeof o === "object") {
      for (const [dir, name] of Object.entries(o)) if (typeof name === "string") s.overrides.set(dir, name);
    }
  } catch {
    // A settings.toml rustup itself could not read either: no overrides, no default.
  }
  return s;
}

/** rustup's host triple for this machine when settings.toml does not name one. */
export function hostTriple(): string {
  const cpu = ({ x64: "x86_64", arm64: "aarch64", ia32: "i686" } as Record<string, string>)[arch()] ?? arch();
  if (platform() === "darwin") return `${cpu}-apple-darwin`;
  return `${cpu}-unknown-linux-gnu`;
}

/** The channel a toolchain file names: `path` (a toolchain dir) or `channel`; legacy
 * `rust-toolchain` may also be one bare name. undefined: unreadable or names neither. */
function fromToolchainFile(file: string, body: string): { name?: string; path?: string } | undefined {
  const trimmed = body.trim();
  if (!trimmed.includes("\n") && !trimmed.includes("=") && !trimmed.startsWith("[")) {
    return trimmed ? { name: trimmed } : undefined;
  }
  try {
    const tc = (parse(body) as Record<string, unknown>).toolchain as Record<string, unknown> | undefined;
    if (typeof tc?.path === "string") return { path: resolve(dirname(file), tc.path) };
    if (typeof tc?.channel === "string") return { name: tc.channel };
  } catch {
    // fall through: rustup refuses such a file, so the toolchain cannot be known
  }
  return undefined;
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

/** The toolchain dir rustup would use for a name, or undefined when it is not installed. */
function toolchainDir(rustupHome: string, name: string, host: string): string | undefined {
  const base = join(rustupHome, "toolchains");
  if (existsSync(join(base, name, "bin"))) return join(base, name);
  const full = join(base, `${name}-${host}`);
  return existsSync(join(full, "bin")) ? full : undefined;
}

export interface RustupInput {
  cwd: string;
  env: Record<string, string | undefined>;
  /** The command: `cargo +nightly build` → ["cargo", "+nightly", "build"]. */
  argv: readonly string[];
  rustupHome: string;
}

/** The toolchain rustup would pick for this command in this dir, or why it cannot be known. */
export function rustupToolchain(inp: RustupInput): RustupChoice {
  const settings = readSettings(inp.rustupHome);
  const host = settings.host ?? hostTriple();
  let name: string | undefined;
  let source: RustupSource = "default";
  let origin: string | undefined;
  let pathDir: string | undefined;
  const plus = inp.argv[1];
  if (plus?.startsWith("+") && plus.length > 1) {
    name = plus.slice(1);
    source = "cli";
  } else if (inp.env.RUSTUP_TOOLCHAIN) {
    name = inp.env.RUSTUP_TOOLCHAIN;
    source = "env";
  } else {
    for (let dir = canonical(inp.cwd); ; dir = dirname(dir)) {
      const o = settings.overrides.get(dir);
      if (o !== undefined) {
        name = o;
        source = "override";
        origin = dir;
        break;
      }
      const found = toolchainFileIn(dir);
      if (found) {
        if (!found.spec) return { ok: false, reason: `cannot read the toolchain file ${found.file}` };
        source = "toolchain-file";
        origin = found.file;
        name = found.spec.name;
        pathDir = found.spec.path;
        break;
      }
      if (dir === "/" || dir === dirname(dir)) break;
    }
    if (name === undefined && pathDir === undefined) {
      if (!settings.default) return { ok: false, reason: "rustup has no default toolchain here" };
      name = settings.default;
    }
  }
  if (pathDir !== undefined) {
    if (!existsSync(join(pathDir, "bin", "rustc"))) {
      return { ok: false, reason: `the toolchain path ${pathDir} (from ${origin}) has no bin/rustc` };
    }
    return { ok: true, name: pathDir, dir: pathDir, source, ...(origin ? { origin } : {}) };
  }
  // A name that is a path (RUSTUP_TOOLCHAIN=/opt/rust) is a toolchain dir, as rustup takes it.
  if (isAbsolute(name!)) return { ok: true, name: name!, dir: name!, source };
  const dir = toolchainDir(inp.rustupHome, name!, host);
  if (!dir) {
    const from = origin ? ` (from ${origin})` : source === "env" ? " (from RUSTUP_TOOLCHAIN)" : "";
    return { ok: false, reason: `toolchain '${name}'${from} is not installed here` };
  }
  return { ok: true, name: dir.slice(dir.lastIndexOf("/") + 1), dir, source, ...(origin ? { origin } : {}) };
}

/** rustup reads `rust-toolchain` before `rust-toolchain.toml` when a dir has both. */
function toolchainFileIn(
  dir: string,
): { file: string; spec: ReturnType<typeof fromToolchainFile> } | undefined {
  for (const base of ["rust-toolchain", "rust-toolchain.toml"]) {
    const file = join(dir, base);
    const body = text(file);
    if (body !== undefined) return { file, spec: fromToolchainFile(file, body) };
  }
  return undefined;
}
