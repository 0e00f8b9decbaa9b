// The tools a configured build dir will run, as it recorded them: CMake writes absolute paths into
// CMakeCache.txt (CMAKE_C_COMPILER=/usr/bin/cc, CMAKE_COMMAND, CMAKE_MAKE_PROGRAM), Meson its
// compilers into meson-info/intro-compilers.json and its version into meson-info.json. A worker
// with another CMake or compiler at those paths regenerates the dir with its own and returns it
// rewritten; with another Meson it refuses the dir. So these are what a worker must match.
import { join } from "node:path";
import { readSmallFile } from "../config/smallFile.ts";

export interface RecordedTool {
  /** An absolute path (CMake) or a command name (Meson's exelist, ninja). */
  tool: string;
  /** compiler: --version + -dumpmachine; version: --version line 1; or a version already known. */
  kind: "compiler" | "version";
  known?: string;
}

function text(path: string): string | undefined {
  const f = readSmallFile(path);
  return f.kind === "file" ? f.bytes.toString("utf8") : undefined;
}

function fromCMakeCache(body: string): RecordedTool[] {
  const out: RecordedTool[] = [];
  const entry = (name: string) => new RegExp(`^${name}:[A-Z]+=(.+)$`, "m").exec(body)?.[1]?.trim();
  for (const lang of ["C", "CXX"]) {
    const p = entry(`CMAKE_${lang}_COMPILER`);
    if (p) out.push({ tool: p, kind: "compiler" });
  }
  for (const name of ["CMAKE_COMMAND", "CMAKE_MAKE_PROGRAM"]) {
    const p = entry(name);
    if (p) out.push({ tool: p, kind: "version" });
  }
  return out;
}

function fromMeson(dir: string): RecordedTool[] | undefined {
  const info = text(join(dir, "meson-info", "meson-info.json"));
  if (info === undefined) return undefined;
  const out: RecordedTool[] = [{ tool: "ninja", kind: "version" }];
  try {
    const full = (JSON.parse(info) as { meson_version?: { full?: string } }).meson_version?.full;
    if (full) out.push({ tool: "meson", kind: "version", known: full });
    const comp = JSON.parse(text(join(dir, "meson-info", "intro-compilers.json")) ?? "{}") as {
      host?: Record<string, { exelist?: string[] }>;
    };
    for (const c of Object.values(comp.host ?? {})) {
      const exe = c.exelist?.find((w) => w !== "ccache" && w !== "sccache");
      if (exe) out.push({ tool: exe, kind: "compiler" });
    }
  } catch {
    return undefined;
  }
  return out;
}

/** What `dir` recorded, or undefined when it is a build dir rch cannot read (→ no promise made). */
export function recordedTools(dir: string): RecordedTool[] | undefined {
  const cache = text(join(dir, "CMakeCache.txt"));
  if (cache !== undefined) return fromCMakeCache(cache);
  const meson = fromMeson(dir);
  if (meson) return meson;
  // A plain build.ninja: its rules name their own compilers; ninja itself is what runs.
  return [{ tool: "ninja", kind: "version" }];
}
