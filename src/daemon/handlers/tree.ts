// tree: what changed in a project tree since the client's copy was last synced, from the live
// view (treeviews.ts), drained at this moment: the answer covers every change made before the
// request was sent. Small by design: the fingerprint plus the changed paths, never the tree.
import type { RequestOf } from "../../protocol/requests.ts";
import type { Response } from "../../protocol/responses.ts";
import type { Conn, DaemonContext } from "../context.ts";

export async function tree(ctx: DaemonContext, _conn: Conn, req: RequestOf<"tree">): Promise<Response> {
  const got = await ctx.trees.ask(req.root, req.rules);
  if (got.kind === "unavailable") return { type: "tree", id: req.id, state: "unavailable", why: got.why };
  const { view } = got;
  const delta = req.since ? view.since(req.since.epoch, req.since.gen, req.max) : undefined;
  return {
    type: "tree",
    id: req.id,
    state: "ready",
    hash: view.fingerprint(),
    epoch: view.epoch,
    gen: view.gen,
    files: view.files,
    cargoFiles: [...view.cargoFiles],
    ...(delta
      ? {
          delta: {
            changed: delta.changed.map(({ path, entry: e, created }) => [
              path,
              e.size,
              e.mtimeMs,
              e.mode,
              e.ino,
              created ? 1 : 0,
            ]),
            removed: delta.removed,
          },
        }
      : {}),
  };
}
