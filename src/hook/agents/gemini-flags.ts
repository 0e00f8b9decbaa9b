// The flags of the running `gemini` that add shell policy (`--policy`, `--admin-policy`,
// `--allowed-tools`, in yargs' kebab and camel spellings). Gemini runs the hook as `bash -c`, and
// the prefilter execs rch, so rch's parent process is gemini itself: its command line is in
// /proc/<ppid>/cmdline.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** Policy paths and `tools.allowed`-style entries found in settings or on the command line. */
export interface FoundPolicy {
  policyPaths: string[];
  toolEntries: string[];
}

const FLAGS = new Map([
  ["--policy", "policy"],
  ["--admin-policy", "policy"],
  ["--adminPolicy", "policy"],
  ["--allowed-tools", "tools"],
  ["--allowedTools", "tools"],
]);

/** `gemini`'s own flags (`--flag v`, `--flag=v`, comma-separated lists). */
export function parseFlags(argv: readonly string[], cwd: string): FoundPolicy {
  const found: FoundPolicy = { policyPaths: [], toolEntries: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2);
    const kind = FLAGS.get(flag!);
    if (!kind) continue;
    const items = (inline ?? argv[++i] ?? "").split(",").map((s) => s.trim());
    if (kind === "policy") found.policyPaths.push(...items.filter(Boolean).map((p) => resolve(cwd, p)));
    else found.toolEntries.push(...items);
  }
  return found;
}

/** The command line of the hook's parent (Gemini runs `bash -c`, which execs rch); undefined
 * when it cannot be read, which makes the hook pass. */
export function parentArgv(ppid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${ppid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined;
  }
}
