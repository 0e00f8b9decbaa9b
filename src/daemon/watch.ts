// Config reload without restart: config.toml and workers.toml are checked for a changed
// signature (inode, size, mtime) by fs.watch on their directory when it exists — fast — and by a
// 1 s poll as the safety net (the directory may not exist yet, editors replace files by rename,
// inotify may be unavailable). Changes are debounced so a multi-write save reloads once.
import { type FSWatcher, statSync, watch } from "node:fs";
import { dirname } from "node:path";

const POLL_MS = 1000;
const DEBOUNCE_MS = 150;

function signature(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return "-";
      }
    })
    .join("|");
}

export function watchFiles(files: readonly string[], onChange: () => void): { close(): void } {
  let last = signature(files);
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const now = signature(files);
      if (now === last) return;
      last = now;
      onChange();
    }, DEBOUNCE_MS);
  };
  const poll = setInterval(check, POLL_MS);
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    try {
      const w = watch(dir, { persistent: false }, check);
      w.on("error", () => w.close());
      watchers.push(w);
    } catch {
      // directory missing or inotify unavailable: the poll covers it
    }
  }
  return {
    close() {
      clearInterval(poll);
      clearTimeout(debounce);
      for (const w of watchers) w.close();
    },
  };
}
