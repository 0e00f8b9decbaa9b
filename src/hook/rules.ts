// Claude Code `Bash(...)` permission rules, matched against one simple command's text. Only the
// forms whose meaning is certain are understood; anything else never grants (and, as a deny or
// ask rule, makes rch give no decision at all).

export type RuleMatch = "match" | "no-match" | "unknown";

export function matchBashRule(rule: string, command: string): RuleMatch {
  const r = rule.trim();
  if (r === "Bash" || r === "Bash(*)") return "match";
  const m = /^Bash\((.*)\)$/s.exec(r);
  if (!m) return "no-match"; // a rule for another tool
  const body = m[1]!;
  const cmd = command.trim();
  // `Bash(make:*)` and `Bash(make *)`: the words before the wildcard, then a word boundary.
  const prefix = /^(.*?)(?::\*| \*)$/s.exec(body);
  if (prefix) {
    const p = prefix[1]!;
    if (p.includes("*")) return "unknown";
    return cmd === p || cmd.startsWith(`${p} `) ? "match" : "no-match";
  }
  if (body.includes("*")) return "unknown";
  return cmd === body ? "match" : "no-match";
}
