// Judges one simple command: prefix (assignments, wrappers), command word, pipes and
// redirections, snapshot variables, help flags, then the family rule. Every "no" carries a reason
// meant for someone debugging why a command did or did not go remote.

import { show } from "./args.ts";
import { findHelp, snapshotAssignment } from "./guards.ts";
import { type FamilyRule, ruleFor } from "./rules.ts";
import { basename, type Item, isWord, type SimpleCommand } from "./structure.ts";
import type { WordToken } from "./tokenize.ts";
import type { CommandVerdict, Family } from "./types.ts";
import { analyzePrefix, commandName } from "./wrappers.ts";

/** The first word from `from` on that names a build family, to explain why it was not reached. */
function familyAfter(items: readonly Item[], from: number): { rule: FamilyRule; name: string } | undefined {
  for (let i = from; i < items.length; i++) {
    const it = items[i]!;
    if (!isWord(it)) continue;
    const name = commandName(it);
    const rule = name === undefined ? undefined : ruleFor(name);
    if (rule) return { rule, name: name! };
  }
  return undefined;
}

export function judgeCommand(cmd: SimpleCommand, line: string, threshold: number): CommandVerdict {
  const base = { text: line.slice(cmd.start, cmd.end), start: cmd.start, end: cmd.end };
  const keep = (reason: string, family?: Family): CommandVerdict =>
    family
      ? { ...base, offload: false, family, confidence: 0, reason }
      : { ...base, offload: false, confidence: 0, reason };

  const items = cmd.items;
  const pre = analyzePrefix(items, line);
  if (!pre.ok) {
    const later = familyAfter(items, pre.at);
    return later ? keep(pre.reason, later.rule.family) : keep(`not a build command (${pre.reason})`);
  }
  const word = items[pre.cmdIndex] as WordToken;
  const name = commandName(word);
  const rule = name === undefined ? undefined : ruleFor(name);
  if (!rule) {
    const later = familyAfter(items, pre.cmdIndex + 1);
    if (later) {
      const why = `${show(word.value)} is not a transparent wrapper (only time, nice, timeout, env)`;
      return keep(`${why}, so ${later.name} stays local`, later.rule.family);
    }
    const lookalike = ruleFor(basename(word.value));
    if (lookalike) {
      const raw = line.slice(word.start, word.end);
      return keep(`command word ${show(raw)} is not a plain name or absolute path`, lookalike.family);
    }
    return keep(`not a build command: ${show(word.value)}`);
  }
  const family = rule.family;

  // Arguments run up to the first redirection; after it only (output) redirections may follow.
  const args: WordToken[] = [];
  let last: WordToken = word;
  let redirected = false;
  for (let i = pre.cmdIndex + 1; i < items.length; i++) {
    const it = items[i]!;
    if (isWord(it)) {
      if (redirected) return keep(`${name}: redirection between arguments`, family);
      args.push(it);
      last = it;
    } else if (it.input) {
      return keep(`${name}: input redirection '${it.op}' reads from this machine`, family);
    } else {
      redirected = true;
    }
  }
  if (cmd.afterPipe) return keep(`${name}: right side of a pipe, reads stdin`, family);
  for (const a of pre.assignments) {
    const why = snapshotAssignment(a.value);
    if (why !== undefined) return keep(why, family);
  }
  const help = findHelp(args, rule.help);
  if (help !== undefined) return keep(`${name}: ${show(help)} asks for help or a version`, family);

  const r = rule.judge(args, name!);
  if (r.confidence === 0) return keep(r.reason, family);
  if (r.confidence < threshold) {
    return {
      ...base,
      offload: false,
      family,
      confidence: r.confidence,
      reason: `${r.reason}: confidence ${r.confidence} is below the threshold ${threshold}`,
    };
  }
  const span = { start: items[pre.spanIndex]!.start, end: last.end };
  return { ...base, offload: true, family, confidence: r.confidence, reason: r.reason, span };
}
