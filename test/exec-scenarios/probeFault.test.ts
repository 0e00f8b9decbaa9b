// A toolchain probe that fails halfway, injected on the real bed: the worker's `meson` kills its
// whole ssh session, so every probe's tools half (the C compilers and build tools) dies with ssh's
// exit 255 while its Rust half (which never runs meson) succeeds. The worker keeps that Rust half:
// cargo builds (and make, which needs no tool identity) still go there; a compile, which needs the
// compiler's identity, waits for a probe that never completes, then runs here with one line naming
// the failure.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectFellBack, fallbackReason, Scenario, useFleet } from "./harness.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(180_000);
const bed = useFleet([{ id: "kt", killingTool: "meson" }]);

const live: Scenario[] = [];
afterEach(() => {
  for (const sc of live.splice(0)) sc.dispose();
});

/** Heartbeats every second, so the probe is retried (and fails again) while a build waits. */
async function scenario(fixture: "cargo-ws" | "make-c", slotWaitMs: number) {
  const sc = await Scenario.create({ fixture, fleet: bed.fleet, env: { RCH_WORKERS: "kt" } });
  writeFileSync(
    join(sc.cfgDir, "config.toml"),
    "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n" +
      `[daemon]\nheartbeat_interval_s = 1\nslot_wait_ms = ${slotWaitMs}\n`,
  );
  live.push(sc);
  return sc;
}

/** The failure rchd keeps for kt's tools half (`rch status --workers`), once it has one (the
 * daemon started first, if no build has started it yet). */
async function toolsFailure(sc: Scenario, withinMs: number): Promise<string> {
  const rch = await rchBinary();
  expect((await sc.startRaw([rch, "daemon", "start"]).done).code).toBe(0);
  const end = Date.now() + withinMs;
  for (;;) {
    const r = await sc.startRaw([rch, "status", "--workers", "--format", "json"]).done;
    const workers = JSON.parse(r.stdout || "{}").workers as
      | { id: string; toolchains?: { toolsError?: string } }[]
      | undefined;
    const why = workers?.find((w) => w.id === "kt")?.toolchains?.toolsError;
    if (why) return why;
    if (Date.now() > end) throw new Error(`rchd never reported kt's failed probe: ${r.stdout}`);
    await Bun.sleep(100);
  }
}

describe("a toolchain probe whose tools half fails every time", () => {
  test("cargo still goes to the worker: the Rust half is kept", async () => {
    // Generous wait: the first build waits for the worker's first probe (its Rust half), and may
    // be served before the tools half fails; the second one comes after rchd knows it failed.
    const sc = await scenario("cargo-ws", 90_000);
    const first = await sc.rch(["cargo", "build"]);
    expect(first.code).toBe(0);
    expect(await toolsFailure(sc, 60_000)).toMatch(/^toolchain probe failed: .*255/);
    const r = await sc.rch(["cargo", "build"]);
    expect(r.code).toBe(0);
    expect(fallbackReason(r)).toBeUndefined();
    expect(sc.remoteCopy()?.worker).toBe("kt");
  });

  test("a compile waits for the compiler's identity, then runs here naming the failed probe", async () => {
    const sc = await scenario("make-c", 4_000);
    // Once rchd knows the tools half failed, it says so to every build that waits for it (the
    // first probe alone can take longer than this wait on a loaded machine).
    expect(await toolsFailure(sc, 60_000)).toMatch(/^toolchain probe failed: .*255/);
    const r = await sc.rch(["gcc", "-O2", "-c", "-o", "src/fmt.o", "src/fmt.c"]);
    expect(r.code).toBe(0);
    expectFellBack(r, /toolchains of kt are not known yet \(kt: toolchain probe failed: .*255/);
    expect(sc.remoteCopy()).toBeUndefined();
    // make needs no tool identity: the same worker takes it.
    const m = await sc.rch(["make"]);
    expect(m.code).toBe(0);
    expect(fallbackReason(m)).toBeUndefined();
    expect(sc.remoteCopy()?.worker).toBe("kt");
  });
});
