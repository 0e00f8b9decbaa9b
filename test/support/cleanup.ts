// afterAll/afterEach bodies: every step runs even when an earlier one throws. A fleet that fails
// to stop must not keep a scenario's scratch dirs, or a daemon whose socket lives there, alive.
// The first failure is rethrown once all steps ran, so the hook still fails visibly.
export async function cleanUp(...steps: (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      failures.push(e);
    }
  }
  if (failures.length > 0) throw failures[0];
}
