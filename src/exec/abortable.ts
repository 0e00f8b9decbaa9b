// Waits that must end when rch gets a signal: a queue for a free slot or for the worker's copy
// can last up to slot_wait_ms, and Ctrl-C must not. The abandoned promise settles later on its
// own (closing the daemon connection makes the daemon drop the request).

export const ABORTED = Symbol("aborted");

export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
