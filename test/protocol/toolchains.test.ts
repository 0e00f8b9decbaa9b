// The one matching rule (src/protocol/toolchains.ts, through eligible.ts): exact identities, the
// platform for every family, the reason line, and the pin a matched worker gets.
import { describe, expect, test } from "bun:test";
import type { WorkerConfig } from "../../src/config/schema.ts";
import { ineligible, noEligibleReason, TOOLCHAINS_PENDING } from "../../src/protocol/eligible.ts";
import { pinEnv, type ToolchainNeed, type WorkerToolchains } from "../../src/protocol/toolchains.ts";

const STABLE = "rustc 1.95.0 59807616e1fa x86_64-unknown-linux-gnu";
const NIGHTLY = "rustc 1.97.0-nightly e50aa6fba4e6 x86_64-unknown-linux-gnu";
const GCC = "gcc (Debian 12.2.0-14+deb12u1) 12.2.0|x86_64-linux-gnu";

function have(over: Partial<WorkerToolchains> = {}): WorkerToolchains {
  return {
    platform: "Linux x86_64",
    libc: "glibc 2.36",
    path: "/usr/bin:/bin",
    rust: [
      {
        kind: "path",
        name: "rustc",
        dir: "/opt/rust",
        key: STABLE,
        version: "1.95.0 (59807616e 2026-04-14)",
      },
    ],
    tools: [{ name: "gcc", path: "/usr/bin/gcc", key: GCC }],
    toolsKnown: true,
    at: 0,
    ...over,
  };
}

const worker = (id: string, toolchains?: WorkerToolchains) => ({
  config: { id, enabled: true, tags: [] } as unknown as WorkerConfig,
  ...(toolchains ? { toolchains } : {}),
});

const nightlyNeed: ToolchainNeed = {
  platform: "Linux x86_64",
  rust: { key: NIGHTLY, label: "1.97.0-nightly (e50aa6fba 2026-05-19)" },
};

describe("toolchain eligibility", () => {
  test("exact rust identity only; the reason names both versions", () => {
    const ws = [worker("w1", have())];
    expect(ineligible(ws[0]!, { toolchain: nightlyNeed })).toBe("has rustc 1.95.0");
    expect(noEligibleReason(ws, { toolchain: nightlyNeed })).toBe(
      "no worker has rustc 1.97.0-nightly (e50aa6fba 2026-05-19); w1 has rustc 1.95.0",
    );
    expect(
      ineligible(ws[0]!, { toolchain: { platform: "Linux x86_64", rust: { key: STABLE, label: "" } } }),
    ).toBe(undefined);
  });

  test("another OS or arch never builds, whatever the family", () => {
    const mac = worker("m", have({ platform: "Darwin arm64" }));
    expect(ineligible(mac, { toolchain: { platform: "Linux x86_64" } })).toBe(
      "is Darwin arm64, this machine is Linux x86_64",
    );
  });

  test("C compilers match by name or recorded path, exactly", () => {
    const w = worker("w1", have());
    const need = (tool: string, key: string): ToolchainNeed => ({
      platform: "Linux x86_64",
      tools: [{ tool, key, label: key }],
    });
    expect(ineligible(w, { toolchain: need("gcc", GCC) })).toBeUndefined();
    expect(ineligible(w, { toolchain: need("/usr/bin/gcc", GCC) })).toBeUndefined();
    expect(ineligible(w, { toolchain: need("gcc", "gcc (Ubuntu 12.3.0) 12.3.0|x86_64-linux-gnu") })).toBe(
      "has gcc (Debian 12.2.0-14+deb12u1) 12.2.0",
    );
    expect(ineligible(w, { toolchain: need("clang", "x") })).toBe("has no clang");
  });

  test("not probed yet: pending (the daemon waits); tools not probed yet: pending only for tool needs", () => {
    expect(ineligible(worker("w1"), { toolchain: nightlyNeed })).toBe(TOOLCHAINS_PENDING);
    const half = worker("w1", have({ toolsKnown: false, tools: [] }));
    expect(
      ineligible(half, {
        toolchain: { platform: "Linux x86_64", tools: [{ tool: "gcc", key: GCC, label: "" }] },
      }),
    ).toBe(TOOLCHAINS_PENDING);
    expect(
      ineligible(half, { toolchain: { platform: "Linux x86_64", rust: { key: STABLE, label: "" } } }),
    ).toBeUndefined();
  });

  test("C: no worker with this gcc — the line leads with this machine's, then what each has", () => {
    const old = worker(
      "w1",
      have({
        tools: [{ name: "gcc", path: "/usr/bin/gcc", key: "gcc (Debian 11.3.0-12) 11.3.0|x86_64-linux-gnu" }],
      }),
    );
    const need: ToolchainNeed = {
      platform: "Linux x86_64",
      tools: [{ tool: "gcc", key: GCC, label: GCC.split("|")[0]! }],
    };
    expect(noEligibleReason([old], { toolchain: need })).toBe(
      "no worker has gcc (Debian 12.2.0-14+deb12u1) 12.2.0; w1 has gcc (Debian 11.3.0-12) 11.3.0",
    );
  });

  test("libc: the same C library; glibc no newer than this machine's; unknown takes nothing", () => {
    const need = (libc: string): ToolchainNeed => ({ platform: "Linux x86_64", libc });
    const on = (libc: string) => worker("w1", have({ libc }));
    expect(ineligible(on("glibc 2.36"), { toolchain: need("glibc 2.36") })).toBeUndefined();
    expect(ineligible(on("glibc 2.31"), { toolchain: need("glibc 2.36") })).toBeUndefined();
    expect(ineligible(on("glibc 2.38"), { toolchain: need("glibc 2.36") })).toBe(
      "has glibc 2.38, newer than this machine's glibc 2.36 (what it links may not run here)",
    );
    expect(ineligible(on("glibc 3.1"), { toolchain: need("glibc 2.36") })).toMatch(/^has glibc 3\.1, newer/);
    expect(ineligible(on("musl"), { toolchain: need("glibc 2.36") })).toBe(
      "has musl, this machine has glibc 2.36",
    );
    expect(ineligible(on("musl"), { toolchain: need("musl") })).toBeUndefined();
    expect(ineligible(on("-"), { toolchain: need("glibc 2.36") })).toBe(
      "has a C library rch cannot identify",
    );
    // A need without libc (an older client's, or this machine's unknown): any libc.
    expect(ineligible(on("musl"), { toolchain: { platform: "Linux x86_64" } })).toBeUndefined();
  });

  test("not probed and its heartbeat failed: not waited for, and the reason is the heartbeat's", () => {
    const down = { ...worker("w1"), health: "failing", lastError: "worker host key changed" };
    expect(ineligible(down, { toolchain: nightlyNeed })).toBe(
      "is unreachable (its heartbeat failed: worker host key changed)",
    );
    expect(noEligibleReason([down], { toolchain: nightlyNeed })).toContain(
      "w1 is unreachable (its heartbeat failed: worker host key changed)",
    );
  });

  test("the pin: nothing for PATH's rustc, RUSTUP_TOOLCHAIN for rustup, PATH for an rch-synced dir", () => {
    const need = (key: string): ToolchainNeed => ({ platform: "Linux x86_64", rust: { key, label: "" } });
    expect(pinEnv(have(), need(STABLE))).toEqual([["RUSTUP_AUTO_INSTALL", "0"]]);
    const rustup = have({
      rust: [
        {
          kind: "rustup",
          name: "nightly-x86_64-unknown-linux-gnu",
          dir: "/h/.rustup/toolchains/n",
          key: NIGHTLY,
          version: "",
        },
      ],
    });
    expect(pinEnv(rustup, need(NIGHTLY))).toEqual([
      ["RUSTUP_AUTO_INSTALL", "0"],
      ["RUSTUP_TOOLCHAIN", "nightly-x86_64-unknown-linux-gnu"],
    ]);
    const synced = have({
      rust: [
        {
          kind: "rch",
          name: "rust-1.97.0-nightly-e50aa6fba-x",
          dir: "/r/.rch/toolchains/n",
          key: NIGHTLY,
          version: "",
        },
      ],
    });
    expect(pinEnv(synced, need(NIGHTLY))).toEqual([
      ["RUSTUP_AUTO_INSTALL", "0"],
      ["PATH", "/r/.rch/toolchains/n/bin:/usr/bin:/bin"],
    ]);
    expect(pinEnv(have(), { platform: "Linux x86_64" })).toEqual([]);
  });
});
