// Same tools (README, "Toolchains"): a build goes only to a worker whose toolchain is exactly the
// one this machine would use — stable vs nightly on real rustup toolchains, chosen by `+tc`,
// RUSTUP_TOOLCHAIN and rust-toolchain.toml as rustup chooses — is pinned to it there (the returned
// target/.rustc_info.json holds the rustc -vV cargo ran on the worker), and runs here with one
// line naming both versions when no worker has it. A toolchain added on a worker is noticed by the
// running daemon, and `rch toolchain sync` makes a worker that lacked it eligible. C compiles go
// only to a worker whose gcc is this machine's (a real gcc-11 worker beside gcc 12).
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expectFellBack, fallbackReason, Scenario, useFleet } from "./harness.ts";
import { rchBinary } from "./rchbin.ts";

setDefaultTimeout(180_000);
const bed = useFleet([
  { id: "st" }, // PATH: the machine's stable 1.95.0
  { id: "ni", rust: "nightly" }, // PATH: the machine's nightly 1.97.0
  { id: "ru", rustup: ["stable", "nightly"] }, // a rustup home with both; default stable
  { id: "g11", cc: "gcc-11" }, // cc and gcc: Debian's gcc-11, where this machine's are gcc 12
]);

/** Local cargo through the machine's real rustup (its proxies and settings). */
const RUSTUP_ENV = {
  PATH: ["/root/.cargo/bin", "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
  RUSTUP_HOME: "/root/.rustup",
  CARGO_HOME: "/root/.cargo",
};

// Each scenario's daemon heartbeats every worker every second: end it with its test.
const live: Scenario[] = [];
afterEach(() => {
  for (const sc of live.splice(0)) sc.dispose();
});

async function scenario(env: Record<string, string> = {}, fixture: "cargo-ws" | "make-c" = "cargo-ws") {
  const sc = await Scenario.create({ fixture, fleet: bed.fleet, env: { ...RUSTUP_ENV, ...env } });
  // Heartbeats every second: a worker's toolchain change is seen within seconds. A build that
  // arrives before the first probe waits for it (slot_wait_ms): on a loaded machine the probe of
  // three workers' toolchains (a rustc -vV each, compilers, meson) has taken over 10 s.
  writeFileSync(
    join(sc.cfgDir, "config.toml"),
    "[compilation]\nmin_local_time_ms = 0\nremote_speedup_threshold = 0\n[daemon]\nheartbeat_interval_s = 1\nslot_wait_ms = 90000\n",
  );
  live.push(sc);
  return sc;
}

/** The worker whose remote_root holds this scenario's copy, or undefined (it never left here). */
const ranOn = (sc: Scenario) => sc.remoteCopy()?.worker;

/** The rustc -vV cargo ran for the last build, from the target dir the build brought back. */
function rustcUsed(sc: Scenario): string {
  const info = JSON.parse(readFileSync(join(sc.rchDir, "target", ".rustc_info.json"), "utf8")) as {
    outputs: Record<string, { stdout: string }>;
  };
  const lines = Object.values(info.outputs).map((o) => /^release: (.+)$/m.exec(o.stdout)?.[1]);
  return lines.filter(Boolean).join(",");
}

describe("toolchain matching on the real bed", () => {
  test("default stable: goes to a stable worker, never the nightly one", async () => {
    const sc = await scenario({ RCH_WORKERS: "st,ni" });
    const ni = bed.fleet.worker("ni").remoteRoot;
    const before = readdirSync(ni);
    const r = await sc.rch(["cargo", "build"]);
    expect(r.code).toBe(0);
    expect(fallbackReason(r)).toBeUndefined();
    expect(ranOn(sc)).toBe("st");
    expect(rustcUsed(sc)).toBe("1.95.0");
    // Again, twice (st is warm now, but ni is as idle): never a copy on ni.
    for (let i = 0; i < 2; i++) {
      const again = await sc.rch(["cargo", "build"]);
      expect(fallbackReason(again)).toBeUndefined();
    }
    expect(readdirSync(ni).filter((n) => n !== ".rch")).toEqual(before.filter((n) => n !== ".rch"));
  });

  test("no worker has it: one line naming both versions, the build runs here", async () => {
    const sc = await scenario({ RCH_WORKERS: "ni" });
    const r = await sc.rch(["cargo", "build"]);
    expect(r.code).toBe(0);
    expectFellBack(
      r,
      /^no worker has rustc 1\.95\.0 \(59807616e 2026-04-14\); ni has rustc 1\.97\.0-nightly/,
    );
    expect(ranOn(sc)).toBeUndefined();
    expect(rustcUsed(sc)).toBe("1.95.0");
  });

  test("cargo +nightly: the nightly worker, and nightly really ran there", async () => {
    const sc = await scenario({ RCH_WORKERS: "st,ni" });
    const r = await sc.rch(["cargo", "+nightly", "build"]);
    expect(r.code).toBe(0);
    expect(fallbackReason(r)).toBeUndefined();
    expect(ranOn(sc)).toBe("ni");
    expect(rustcUsed(sc)).toBe("1.97.0-nightly");
  });

  test("RUSTUP_TOOLCHAIN=nightly picks the nightly worker", async () => {
    const sc = await scenario({ RCH_WORKERS: "st,ni", RUSTUP_TOOLCHAIN: "nightly" });
    const r = await sc.rch(["cargo", "build"]);
    expect(fallbackReason(r)).toBeUndefined();
    expect(ranOn(sc)).toBe("ni");
    expect(rustcUsed(sc)).toBe("1.97.0-nightly");
  });

  test("rust-toolchain.toml naming nightly: the rustup worker, pinned to its nightly (its default is stable)", async () => {
    const sc = await scenario({ RCH_WORKERS: "st,ru" });
    for (const d of [sc.rchDir, sc.localDir])
      writeFileSync(join(d, "rust-toolchain.toml"), '[toolchain]\nchannel = "nightly"\n');
    const r = await sc.rch(["cargo", "build"]);
    expect(fallbackReason(r)).toBeUndefined();
    expect(ranOn(sc)).toBe("ru");
    expect(rustcUsed(sc)).toBe("1.97.0-nightly");
  });

  test("a toolchain not installed here: local, with the reason, and no worker downloads it", async () => {
    const sc = await scenario({ RCH_WORKERS: "ru" });
    for (const d of [sc.rchDir, sc.localDir])
      writeFileSync(join(d, "rust-toolchain.toml"), '[toolchain]\nchannel = "1.80.0"\n');
    const r = await sc.rch(["cargo", "build"], { env: { RUSTUP_AUTO_INSTALL: "0" } });
    expectFellBack(r, /toolchain '1\.80\.0'.*is not installed here/);
    expect(ranOn(sc)).toBeUndefined();
    const ru = bed.fleet.worker("ru");
    expect(readdirSync(join(ru.home, ".rustup", "toolchains")).sort()).toEqual([
      "nightly-x86_64-unknown-linux-gnu",
      "stable-x86_64-unknown-linux-gnu",
    ]);
  });

  test("rch toolchain sync makes a mismatched worker eligible, without restarting rchd", async () => {
    const sc = await scenario({ RCH_WORKERS: "st" });
    const first = await sc.rch(["cargo", "+nightly", "build"]);
    expectFellBack(first, /^no worker has rustc 1\.97\.0-nightly .*st has rustc 1\.95\.0/);
    expect(ranOn(sc)).toBeUndefined();
    // The real command: this machine's nightly (a ~600 MB rsync) into st's
    // <remote_root>/.rch/toolchains, verified there by running it.
    const rch = await rchBinary();
    const synced = await sc.local(
      [rch, "--format", "json", "toolchain", "sync", "st", "--toolchain", "nightly"],
      { timeoutMs: 240_000 },
      sc.rchDir,
    );
    expect(synced.code, synced.stderr).toBe(0);
    const placed = (JSON.parse(synced.stdout) as { results: { ok: boolean; action: string }[] }).results;
    expect(placed).toEqual([expect.objectContaining({ ok: true, action: "placed" })]);
    // Poll the running daemon (rch status --workers) until it shows the new toolchain: the next
    // heartbeat (1 s) sees the fingerprint move, the re-probe lands after it.
    const end = Date.now() + 150_000;
    let kinds: string[] = [];
    while (Date.now() < end) {
      const s = await sc.local([rch, "status", "--workers", "--format", "json"], {}, sc.rchDir);
      const w = (
        JSON.parse(s.stdout) as { workers: { id: string; toolchains?: { rust: { kind: string }[] } }[] }
      ).workers;
      kinds = (w.find((x) => x.id === "st")?.toolchains?.rust ?? []).map((t) => t.kind).sort();
      if (kinds.includes("rch")) break;
      await Bun.sleep(500);
    }
    expect(kinds).toEqual(["path", "rch"]);
    const r = await sc.rch(["cargo", "+nightly", "build"], { env: { RCH_VERBOSE: "1" } });
    expect(fallbackReason(r), r.stderr).toBeUndefined();
    expect(ranOn(sc)).toBe("st");
    expect(rustcUsed(sc)).toBe("1.97.0-nightly");
    // And stable builds still go there, to its PATH toolchain.
    const s = await sc.rch(["cargo", "build"]);
    expect(fallbackReason(s)).toBeUndefined();
    expect(rustcUsed(sc)).toBe("1.95.0");
  }, 300_000);

  test("C: a worker whose gcc is another version gets no compile; one line names both", async () => {
    const compile = ["gcc", "-O2", "-c", "-o", "src/fmt.o", "src/fmt.c"];
    const only = await scenario({ RCH_WORKERS: "g11" }, "make-c");
    const r = await only.rch(compile);
    expect(r.code).toBe(0);
    expectFellBack(r, /^no worker has gcc \(Debian 12\.[^;]*; g11 has gcc \(Debian 11\.3\.0/);
    expect(ranOn(only)).toBeUndefined();
    const both = await scenario({ RCH_WORKERS: "g11,st" }, "make-c");
    for (let i = 0; i < 3; i++) {
      const again = await both.rch(compile);
      expect(again.code).toBe(0);
      expect(fallbackReason(again)).toBeUndefined();
      expect(ranOn(both)).toBe("st");
    }
  });
});
