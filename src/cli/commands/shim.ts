// rch shim install|uninstall|status [DIR]: the PATH shim for agents without a rewrite hook and
// for scripts and Makefiles that call the tools themselves. (`rch shim decide`, what the shims
// run, never reaches this file: bin/rch.ts dispatches it directly to shim/decide.ts.)
import type { Command } from "commander";
import pc from "picocolors";
import { selfArgv } from "../../shell/self.ts";
import { exportLine, resolveShimDir } from "../../shim/dir.ts";
import { installShims } from "../../shim/install.ts";
import { type ShimStatus, shimStatus } from "../../shim/status.ts";
import { uninstallShims } from "../../shim/uninstall.ts";
import { action } from "../action.ts";
import type { Output } from "../output.ts";

const list = (names: string[]) => names.join(" ");

function install(out: Output, dirArg: string | undefined): number {
  const r = installShims(resolveShimDir(dirArg), selfArgv());
  const lines = [
    r.written.length > 0
      ? `installed ${r.written.length} shim(s) in ${r.dir}: ${list(r.written)}`
      : `already installed in ${r.dir}: nothing changed`,
  ];
  if (r.removed.length > 0) lines.push(`removed shims the registry no longer has: ${list(r.removed)}`);
  for (const name of r.refused) {
    lines.push(pc.yellow(`${r.dir}/${name} is not rch's: left alone, so ${name} gets no shim`));
  }
  lines.push("put the shims first in PATH (in your shell profile, then start a new shell):");
  lines.push(`  ${exportLine(r.dir)}`);
  out.result(lines.join("\n"), { ...r, export: exportLine(r.dir) });
  return r.refused.length > 0 ? 1 : 0;
}

function uninstall(out: Output, dirArg: string | undefined): number {
  const r = uninstallShims(resolveShimDir(dirArg));
  const lines = [
    r.removed.length > 0
      ? `removed ${r.removed.length} shim(s) from ${r.dir}`
      : `no shims installed in ${r.dir}`,
  ];
  if (r.kept.length > 0) lines.push(`kept files that are not rch's: ${list(r.kept)}`);
  if (r.removed.length > 0) lines.push("remove the shim dir from PATH in your shell profile too");
  out.result(lines.join("\n"), r);
  return 0;
}

function pathLine(s: ShimStatus): string {
  if (s.pathIndex < 0) return pc.red(`not in PATH — add: ${exportLine(s.dir)}`);
  const behind = s.tools.filter((t) => t.state === "installed" && t.shadowed && t.real);
  if (behind.length === 0) return `entry ${s.pathIndex + 1}, before every real tool`;
  const names = behind.map((t) => `${t.name} (${t.real})`).join(", ");
  return pc.yellow(`entry ${s.pathIndex + 1}, but PATH finds these first: ${names}`);
}

function status(out: Output, dirArg: string | undefined): number {
  const s = shimStatus(resolveShimDir(dirArg), process.env.PATH ?? "");
  const ok = s.installed && s.rchExists;
  out.result(() => {
    if (!s.installed) return `not installed in ${s.dir}; run: rch shim install`;
    const by = (state: string) => s.tools.filter((t) => t.state === state).map((t) => t.name);
    const lines = [`installed in ${s.dir}: ${list(by("installed"))}`];
    if (by("missing").length > 0)
      lines.push(pc.yellow(`missing: ${list(by("missing"))} (run rch shim install)`));
    if (by("foreign").length > 0) lines.push(`not rch's (left alone): ${list(by("foreign"))}`);
    if (s.outdated.length > 0)
      lines.push(
        pc.yellow(`written by an older rch: ${list(s.outdated)} (run rch shim install to update them)`),
      );
    const bin = s.rchExists
      ? pc.green("exists")
      : pc.red("MISSING — the shims run the real tools; reinstall");
    lines.push(`rch:  ${s.rch?.join(" ") ?? "(unreadable)"} (${bin})`);
    lines.push(`PATH: ${pathLine(s)}`);
    return lines.join("\n");
  }, s);
  return ok ? 0 : 1;
}

export function registerShim(program: Command): void {
  const shim = program
    .command("shim")
    .description("PATH shims for agents without a hook and for scripts: builds go through rch exec");
  shim
    .command("install [dir]")
    .description("write a shim per build tool into DIR (default ~/.local/share/rch/shim)")
    .action(action(install));
  shim
    .command("uninstall [dir]")
    .description("remove rch's shims (never other files)")
    .action(action(uninstall));
  shim
    .command("status [dir]")
    .description("installed shims, their rch binary, and PATH order")
    .action(action(status));
}
