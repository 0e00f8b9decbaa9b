// Finds the line a key was written on. smol-toml gives positions only for syntax errors, and a
// config error that says "line 12" is worth far more than one that only names the key.

export type KeyPath = (string | number)[];

const tableHeader = /^\s*\[\s*([^\][]+?)\s*\]\s*(#.*)?$/;
const arrayHeader = /^\s*\[\[\s*([^\][]+?)\s*\]\]\s*(#.*)?$/;
const keyLine = /^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=/;

function splitDotted(key: string): string[] {
  return key.split(".").map((p) => p.trim().replace(/^["']|["']$/g, ""));
}

/** 1-based line of the deepest prefix of `path` that appears in `text`, or undefined. */
export function locateKey(text: string, path: KeyPath): number | undefined {
  const lines = text.split("\n");
  const arrayCounts = new Map<string, number>();
  let table: KeyPath = [];
  let best: { line: number; depth: number } | undefined;
  const consider = (candidate: KeyPath, line: number) => {
    let depth = 0;
    while (
      depth < candidate.length &&
      depth < path.length &&
      String(candidate[depth]) === String(path[depth])
    ) {
      depth++;
    }
    if (depth === candidate.length && depth > 0 && (!best || depth > best.depth)) best = { line, depth };
  };
  lines.forEach((raw, i) => {
    const arr = arrayHeader.exec(raw);
    if (arr?.[1]) {
      const name = arr[1];
      const index = arrayCounts.get(name) ?? 0;
      arrayCounts.set(name, index + 1);
      table = [...splitDotted(name), index];
      consider(table, i + 1);
      return;
    }
    const tab = tableHeader.exec(raw);
    if (tab?.[1]) {
      table = splitDotted(tab[1]);
      consider(table, i + 1);
      return;
    }
    const key = keyLine.exec(raw);
    if (key?.[1]) consider([...table, ...splitDotted(key[1])], i + 1);
  });
  return best?.line;
}
