// What a worker says about who holds its slots, read the same way by `rch exec` (the held lines
// of a full worker, src/worker/run.sh) and the daemon (slots.sh's count): the notes builds leave
// beside the slot they hold, and the one-line reason a build gives when it runs locally because
// other workstations fill the workers it may use. Pure.

/** A slot holder's note, `client=<id> name=<name> project=<basename> since=<epoch s>`. */
export interface SlotNote {
  /** The holder's client id ("" when the note is missing or unreadable). */
  client: string;
  name: string;
  project?: string;
  since?: number;
}

/** Words of a note: space-separated key=value pairs; anything else is ignored. */
export function parseNote(text: string): SlotNote {
  const kv = new Map<string, string>();
  for (const word of text.trim().split(/\s+/)) {
    const eq = word.indexOf("=");
    if (eq > 0) kv.set(word.slice(0, eq), word.slice(eq + 1));
  }
  const note: SlotNote = { client: kv.get("client") ?? "", name: kv.get("name") || "unknown" };
  const project = kv.get("project");
  if (project && project !== "-") note.project = project;
  const since = kv.get("since") ?? kv.get("at");
  if (since !== undefined && /^\d+$/.test(since)) note.since = Number(since);
  return note;
}

/** A worker every slot of which was held, as far as a build or the daemon could tell. */
export interface FullWorker {
  id: string;
  total: number;
  /** Slots held by other workstations' builds. */
  others: number;
  /** Their names, in order of appearance. */
  names: readonly string[];
}

function joinIds(ids: string[]): string {
  if (ids.length <= 1) return ids.join("");
  return `${ids.slice(0, -1).join(", ")} and ${ids.at(-1)}`;
}

/** "w1 is full (2 of 2 slots held by ws-b)", "w1 and w2 are full (3 of 4 slots held by ws-b,
 * ws-c)": why a build runs locally when other workstations fill every worker it may use. */
export function fullReason(workers: readonly FullWorker[]): string {
  const ids = workers.map((w) => w.id);
  const total = workers.reduce((n, w) => n + w.total, 0);
  const others = workers.reduce((n, w) => n + w.others, 0);
  const names = [...new Set(workers.flatMap((w) => w.names))];
  const verb = ids.length === 1 ? "is" : "are";
  const by = names.length ? ` by ${names.join(", ")}` : " by other workstations";
  return `${joinIds(ids)} ${verb} full (${others} of ${total} slots held${by})`;
}
