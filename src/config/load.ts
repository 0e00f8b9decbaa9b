// Layering: built-in defaults < ~/.config/rch/config.toml < workers.toml < project .rch/config.toml
// < RCH_* environment. Never throws: a broken layer is reported and skipped, so a typo in a config
// file can never stop an agent's command from running.
import { parse, TomlError } from "smol-toml";
import { applyEnvOverrides } from "./env.ts";
import { projectConfigFile, userConfigFile, workersFile } from "./paths.ts";
import { type Config, defaultConfig, type SectionName, type WorkerConfig } from "./schema.ts";
import { readSmallFile } from "./smallFile.ts";
import { type ConfigIssue, type DocContext, issueAt, type Overrides, validateSections } from "./validate.ts";
import { validateWorkers } from "./workers.ts";

export interface LoadedConfig {
  config: Config;
  workers: WorkerConfig[];
  issues: ConfigIssue[];
  /** Files that exist and were read (for `rch config show`). */
  files: string[];
  /** A config file exists but could not be read (a FIFO, a device, an I/O error): what the user
   * configured is unknown, so the hook and `rch exec` leave the command as written. */
  unreadable?: string;
}

export interface LoadOptions {
  projectRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** false: skip workers.toml (the hook runs for every build line and never needs the fleet). */
  workers?: boolean;
}

const userSections = [
  "general",
  "compilation",
  "transfer",
  "output",
  "ssh",
  "exec",
  "daemon",
  "gc",
  "environment",
] as const;
// A project file comes with whatever repository the agent cloned, so it may not redirect the
// socket, weaken host-key checks or change daemon policy.
const projectSections = ["general", "compilation", "transfer", "output", "environment"] as const;
const projectGeneralKeys = ["enabled", "preferred_workers"];

type ReadResult = { ctx: DocContext; doc: Record<string, unknown> } | undefined;

function readToml(file: string, issues: ConfigIssue[], unreadable: string[]): ReadResult {
  // A FIFO or device where a config file should be would block or never end: regular files only.
  const read = readSmallFile(file);
  if (read.kind === "absent") return undefined;
  if (read.kind === "unreadable") {
    unreadable.push(`${file} cannot be read: ${read.reason}`);
    issues.push({
      file,
      key: "(file)",
      message: `cannot be read: ${read.reason}`,
      hint: "the file is ignored; defaults apply",
    });
    return undefined;
  }
  const text = read.bytes.toString("utf8");
  const ctx: DocContext = { file, text, issues };
  try {
    return { ctx, doc: parse(text) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0] ?? e.message;
      issues.push({
        file,
        line: e.line,
        key: "(syntax)",
        message: first,
        hint: "the whole file is ignored until the TOML syntax is fixed",
      });
      return undefined;
    }
    throw e;
  }
}

function merge(config: Config, over: Overrides, appendLists: boolean): void {
  for (const [section, values] of Object.entries(over)) {
    if (section === "environment") {
      Object.assign(config.environment, values);
      continue;
    }
    const target = config[section as SectionName] as Record<string, unknown>;
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      const prev = target[key];
      target[key] = appendLists && Array.isArray(prev) && Array.isArray(value) ? [...prev, ...value] : value;
    }
  }
}

function projectOverrides(read: NonNullable<ReadResult>): Overrides {
  const { ctx } = read;
  const doc = { ...read.doc };
  const over: Overrides = {};
  if ("enabled" in doc) {
    if (typeof doc.enabled === "boolean") over.general = { enabled: doc.enabled };
    else issueAt(ctx, ["enabled"], "must be true or false");
    delete doc.enabled;
  }
  const general = doc.general;
  if (general && typeof general === "object" && !Array.isArray(general)) {
    for (const key of Object.keys(general)) {
      if (!projectGeneralKeys.includes(key)) {
        issueAt(
          ctx,
          ["general", key],
          "cannot be set in a project file",
          "set it in ~/.config/rch/config.toml",
        );
        delete (general as Record<string, unknown>)[key];
      }
    }
  }
  const rest = validateSections(doc, ctx, projectSections);
  if (over.general) rest.general = { ...rest.general, ...over.general };
  return rest;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  const unreadable: string[] = [];
  const config = defaultConfig();

  const user = readToml(userConfigFile(), issues, unreadable);
  if (user) {
    files.push(user.ctx.file);
    merge(config, validateSections(user.doc, user.ctx, userSections), false);
  }
  let workers: WorkerConfig[] = [];
  const fleet = opts.workers === false ? undefined : readToml(workersFile(), issues, unreadable);
  if (fleet) {
    files.push(fleet.ctx.file);
    workers = validateWorkers(fleet.doc, fleet.ctx);
  }
  if (opts.projectRoot) {
    const project = readToml(projectConfigFile(opts.projectRoot), issues, unreadable);
    if (project) {
      files.push(project.ctx.file);
      merge(config, projectOverrides(project), true);
    }
  }
  applyEnvOverrides(config, env, issues);
  const loaded: LoadedConfig = { config, workers, issues, files };
  if (unreadable.length > 0) loaded.unreadable = unreadable.join("; ");
  return loaded;
}
