// rch config show|validate|init|set
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { stringify } from "smol-toml";
import { setConfigValue } from "../../config/edit.ts";
import { loadConfig } from "../../config/load.ts";
import { projectConfigFile, userConfigFile, workersFile } from "../../config/paths.ts";
import { findProjectRoot } from "../../config/project.ts";
import { formatIssue } from "../../config/validate.ts";
import { action } from "../action.ts";
import { CliError } from "../errors.ts";
import type { Output } from "../output.ts";

const projectTemplate = `# rch project settings. Everything here is optional; see \`rch config show\` for effective values.
# enabled = false                 # keep every build of this project local

[general]
# preferred_workers = ["build-1"]  # try these workers first

[compilation]
# min_local_time_ms = 2000         # builds faster than this locally are not offloaded

[transfer]
# exclude_patterns = ["benches/data/"]   # added to the defaults (target/, node_modules/, …)
# include_patterns = ["src/generated/*.rs"]

[environment]
# RUSTFLAGS = "-C target-cpu=native"     # set for remote builds
`;

function show(out: Output): number {
  const root = findProjectRoot(process.cwd());
  const loaded = loadConfig({ projectRoot: root.root });
  out.result(
    () =>
      [
        `# project root: ${root.root} (${root.kind})`,
        `# files read: ${loaded.files.length ? loaded.files.join(", ") : "none (built-in defaults)"}`,
        ...loaded.issues.map((i) => `# problem: ${formatIssue(i)}`),
        stringify(loaded.config).trim(),
        loaded.workers.length
          ? `\n${stringify({ workers: loaded.workers }).trim()}`
          : "\n# no workers configured",
      ].join("\n"),
    {
      projectRoot: root,
      files: loaded.files,
      issues: loaded.issues,
      config: loaded.config,
      workers: loaded.workers,
    },
  );
  return 0;
}

function validate(out: Output): number {
  const root = findProjectRoot(process.cwd());
  const { issues, files, workers } = loadConfig({ projectRoot: root.root });
  out.result(
    () =>
      issues.length === 0
        ? `ok: ${files.length} file(s) valid, ${workers.length} worker(s)`
        : issues.map(formatIssue).join("\n"),
    { ok: issues.length === 0, files, issues },
  );
  return issues.length === 0 ? 0 : 1;
}

function init(out: Output, opts: { force?: boolean }): number {
  const root = findProjectRoot(process.cwd());
  const file = projectConfigFile(root.root);
  if (existsSync(file) && !opts.force) {
    throw new CliError(`${file} already exists`, 1, "use --force to overwrite it");
  }
  mkdirSync(join(root.root, ".rch"), { recursive: true });
  writeFileSync(file, projectTemplate);
  out.result(`created ${file}`, { created: file });
  return 0;
}

function set(out: Output, key: string, value: string, opts: { project?: boolean }): number {
  const file = opts.project ? projectConfigFile(findProjectRoot(process.cwd()).root) : userConfigFile();
  const result = setConfigValue(file, key, value);
  if (!result.ok) throw new CliError(result.message, 1, result.hint);
  out.result(`${key} = ${JSON.stringify(result.value)} in ${result.file}`, result);
  return 0;
}

export function registerConfig(program: Command): void {
  const config = program.command("config").description("show, check and edit configuration");
  config
    .command("show")
    .description("effective configuration, with the files it came from")
    .action(action(show));
  config
    .command("validate")
    .description(`check ${userConfigFile()}, ${workersFile()} and the project file`)
    .action(action(validate));
  config
    .command("init")
    .description("create .rch/config.toml in the project root")
    .option("--force", "overwrite an existing file")
    .action(action(init));
  config
    .command("set <key> <value>")
    .description("set a key (e.g. compilation.min_local_time_ms 5000) in the user config")
    .option("--project", "write to the project's .rch/config.toml instead")
    .action(action(set));
}
