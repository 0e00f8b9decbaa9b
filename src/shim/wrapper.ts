// The text of one shim: a POSIX sh script named like the tool it stands in for. It decides what
// it can without starting rch (a compiled Bun binary costs ~8 ms to start, and IDEs and build
// systems call `cc --version`, `rustc -vV`… all the time): inside a build rch placed (the marker)
// and help/version queries run the real tool at once; everything else asks `rch shim decide`,
// which answers with its exit status only. Every value is spliced in single-quoted; the script
// never evaluates text it did not write.
import { FAMILIES, familyNamed } from "../classify/index.ts";
import { NESTED_ENV } from "../shell/nested.ts";
import { shQuoteAlways } from "../shell/quote.ts";
import { SHORT_RUN_ENV } from "../shell/shortRun.ts";

/** First line after the shebang: what `rch shim uninstall` looks for before removing a file. */
export const SHIM_HEADER = "# rch-shim v1";
/** Second line: the rch argv the shim runs, as JSON (read back by `rch shim status`). */
export const BIN_HEADER = "# rch-shim-bin ";
/** A file with this name marks a directory as rch's shim dir: shims skip such dirs in PATH. */
export const STAMP = ".rch-shim";

/** `rch shim decide`'s answers (anything else — rch missing, crashed — means "run it here"). */
export const DECIDE_OFFLOAD = 10;
export const DECIDE_LOCAL = 11;

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The case arms that catch the classifier's help/version words for this tool (guards.ts): the
 * sh may only say "local" where the classifier would. Locale-free: no `[a-z]` ranges. */
function helpArms(tool: string): string[] {
  const family = familyNamed(tool);
  const help = family ? FAMILIES[family].help : {};
  const words = ["-h", "-help", ...(help.words ?? [])].map(shQuoteAlways);
  const arms = [`    ${[...words, "--help*", "--version*"].join("|")}) rch_shim_local "$@" ;;`];
  if (help.clusterLetters) {
    if (!/^[A-Za-z]+$/.test(help.clusterLetters)) throw new Error(`bad cluster letters for ${tool}`);
    // A cluster (`-vV`) is only letters; one of them asks for help or a version.
    arms.push(`    -*[!${LETTERS}]*) ;;`);
    arms.push(`    -*[${help.clusterLetters}]*) rch_shim_local "$@" ;;`);
  }
  return arms;
}

export function shimScript(tool: string, rchArgv: readonly string[]): string {
  if (!/^[A-Za-z0-9_.+-]+$/.test(tool)) throw new Error(`not a tool name: ${tool}`);
  const rch = rchArgv.map(shQuoteAlways).join(" ");
  return `#!/bin/sh
${SHIM_HEADER} ${tool}
${BIN_HEADER}${JSON.stringify(rchArgv)}
# Written by \`rch shim install\`; \`rch shim uninstall\` removes it. Stands in for ${tool} on
# PATH: a build runs through \`rch exec\` on a worker, anything else is the real ${tool}, exec'd
# with the same argv, stdio, exit status and signals.
rch_shim_t=${shQuoteAlways(tool)}

# The real tool: the first executable ${tool} in PATH outside rch's shim dirs. A shim dir is any
# dir holding ${STAMP}, so one listed twice or reached through a symlink is skipped as well.
# Whatever runs from here (the real tool, its children, rch) gets PATH without those dirs:
# nothing below finds a shim again, and masquerading wrappers (ccache) find the real compiler.
# Empty entries (the current dir) are kept as they are; the loop uses builtins only.
rch_shim_rest=\${PATH-}:
rch_shim_path=
rch_shim_kept=
rch_shim_real=
while [ -n "$rch_shim_rest" ]; do
  rch_shim_d=\${rch_shim_rest%%:*}
  rch_shim_rest=\${rch_shim_rest#*:}
  [ -f "\${rch_shim_d:-.}/${STAMP}" ] && continue
  rch_shim_path=$rch_shim_path$rch_shim_kept$rch_shim_d
  rch_shim_kept=:
  if [ -z "$rch_shim_real" ] && [ -f "\${rch_shim_d:-.}/$rch_shim_t" ] && [ -x "\${rch_shim_d:-.}/$rch_shim_t" ]; then
    rch_shim_real=\${rch_shim_d:-.}/$rch_shim_t
  fi
done

# No real tool: what a shell says, before anything else (never offload a tool this machine lacks).
if [ -z "$rch_shim_real" ]; then
  printf '%s: command not found\\n' "$rch_shim_t" >&2
  exit 127
fi

# Runs the real tool in this process (exec: same pid, signals and exit status), marked as nested.
# It is exec'd by name through the cleaned PATH, which finds the same file as the loop above, so
# that its argv[0] is "${tool}", exactly as a shell would start it.
# The marker holds this pid: a shim that starts with it is the very program we just exec'd as
# "the real tool" — a link to a shim outside its dir — and stops instead of looping forever.
rch_shim_local() {
  PATH=$rch_shim_path
  ${NESTED_ENV}=shim:$$
  export PATH ${NESTED_ENV}
  exec "$rch_shim_t" "$@"
}

case \${${NESTED_ENV}-} in
  "shim:$$")
    printf 'rch shim: %s: the %s found in PATH (%s) is an rch shim too; not running it\\n' \\
      "$rch_shim_t" "$rch_shim_t" "$rch_shim_real" >&2
    exit 127 ;;
  ?*) rch_shim_local "$@" ;; # inside a build rch placed: never offload again
esac

# Help and version queries are never builds (the classifier's own words for ${tool}).
for rch_shim_a do
  case $rch_shim_a in
${helpArms(tool).join("\n")}
  esac
done

# Everything else: rch's classifier decides, answering by exit status only (stdin and stdout
# stay the build's). Any other status — rch missing, moved or broken — runs the real tool.
if [ -x ${shQuoteAlways(rchArgv[0] ?? "")} ]; then
  ${SHORT_RUN_ENV} ${rch} shim decide "$rch_shim_t" "$@" </dev/null >/dev/null 2>&1
  rch_shim_s=$?
else
  rch_shim_s=127
fi
case $rch_shim_s in
  ${DECIDE_OFFLOAD})
    PATH=$rch_shim_path
    export PATH
    exec ${rch} exec -- "$rch_shim_t" "$@" ;;
  ${DECIDE_LOCAL}) ;;
  *) printf 'rch shim: rch is unavailable (status %s); running %s here\\n' "$rch_shim_s" "$rch_shim_t" >&2 ;;
esac
rch_shim_local "$@"
`;
}
