#!/usr/bin/env bun
// Entry point. `rch hook` and `rch exec` run inside every agent command, and `rch shim decide`
// inside tool calls the PATH shim could not settle, so they are dispatched before the CLI
// framework is even loaded; everything else goes through the command table.
// The hook's code is imported statically: loaded as part of this entry it cost 2-4 ms less per
// build-path hook run than through `await import()` (compiled rch, interleaved runs, medians;
// most of that was the dynamic import of the hook's chunks, not running them), and the other
// commands measured the same with it (`rch exec`, `rch shim decide`, `rch --version`).
import { runHook } from "../hook/run.ts";

// Invoked as `rchd` (a symlink to rch): the daemon in the foreground.
const argv = /(^|\/)rchd$/.test(process.argv0)
  ? ["daemon", "run", ...process.argv.slice(2)]
  : process.argv.slice(2);

async function dispatch(): Promise<number> {
  // `rch hook` (Claude Code) or `rch hook --agent NAME`, exactly as `rch hook install` registers them.
  if (argv[0] === "hook" && (argv.length === 1 || (argv.length === 3 && argv[1] === "--agent"))) {
    return runHook(argv[2]);
  }
  if (argv[0] === "exec") {
    const { runExecCommand } = await import("../cli/commands/exec.ts");
    return runExecCommand(argv.slice(1));
  }
  if (argv[0] === "shim" && argv[1] === "decide") {
    const { runShimDecide } = await import("../shim/decide.ts");
    return runShimDecide(argv.slice(2));
  }
  const { main } = await import("../cli/main.ts");
  return main(argv);
}

// --bytecode builds cannot use top-level await.
dispatch().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
