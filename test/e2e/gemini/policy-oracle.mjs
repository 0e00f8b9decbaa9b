// Runs under node (Gemini CLI's own runtime): asks the installed Gemini CLI's real policy engine
// for its verdict on tool arguments, in every approval mode, interactive and headless.
// argv: <bundle dir> <request.json> <answer.json>. The request is
// {sets: [{home, settings}], probes: [{set, args}]}; the answer is, per probe, one decision per
// mode × interactive. Results go to a file: the engine logs debug lines on stdout.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [bundle, requestFile, answerFile] = process.argv.slice(2);
const MODES = ["default", "autoEdit", "yolo", "plan"];

// The chunk names are content hashes: find the one that exports the policy engine.
const chunk = readdirSync(bundle)
  .filter((n) => n.startsWith("chunk-") && n.endsWith(".js"))
  .find((n) => /\n {2}createPolicyEngineConfig,?\n/.test(readFileSync(join(bundle, n), "utf8")));
if (!chunk) throw new Error(`no chunk in ${bundle} exports createPolicyEngineConfig`);
const gemini = await import(join(bundle, chunk));
await gemini.initializeShellParsers();

const request = JSON.parse(readFileSync(requestFile, "utf8"));
const engines = [];
for (const set of request.sets) {
  // Gemini reads GEMINI_CLI_HOME whenever it locates ~/.gemini, so each set sees its own files.
  process.env.GEMINI_CLI_HOME = set.home;
  const perSet = [];
  for (const mode of MODES) {
    for (const interactive of [true, false]) {
      const config = await gemini.createPolicyEngineConfig(set.settings, mode, undefined, interactive);
      perSet.push(new gemini.PolicyEngine(config));
    }
  }
  engines.push(perSet);
}
const answer = [];
for (const probe of request.probes) {
  const decisions = [];
  for (const engine of engines[probe.set]) {
    const r = await engine.check({ name: "run_shell_command", args: probe.args }, undefined);
    decisions.push(r.decision);
  }
  answer.push(decisions);
}
writeFileSync(answerFile, JSON.stringify(answer));
