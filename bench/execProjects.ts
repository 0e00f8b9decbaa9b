// Generated projects for bench/exec.bench.ts: a 5,000-file tree (4,000 pseudo-source files of
// 2–14 KB and 1,000 random blobs of 8–28 KB, seeded), and a crate that takes about a second of
// CPU to build.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 4,000 pseudo-source files (2–14 KB) + 1,000 random blobs (8–28 KB) + a tiny crate. */
export function generate(root: string): void {
  const r = rng(42);
  const words = [
    "fn",
    "let",
    "impl",
    "struct",
    "match",
    "where",
    "alpha",
    "beta",
    "gamma",
    "delta",
    "=>",
    "{",
    "}",
  ];
  for (let i = 0; i < 4000; i++) {
    const dir = join(
      root,
      "src",
      `mod${String(Math.floor(i / 100)).padStart(2, "0")}`,
      `sub${Math.floor(i / 10) % 10}`,
    );
    if (i % 10 === 0) mkdirSync(dir, { recursive: true });
    const size = 2000 + Math.floor(r() * 12000);
    let text = "";
    while (text.length < size) text += `${words[Math.floor(r() * words.length)]} `;
    writeFileSync(join(dir, `file${i}.rs`), text);
  }
  for (let i = 0; i < 1000; i++) {
    const dir = join(root, "assets", `a${String(Math.floor(i / 50)).padStart(2, "0")}`);
    if (i % 50 === 0) mkdirSync(dir, { recursive: true });
    const buf = Buffer.alloc(8000 + Math.floor(r() * 20000));
    for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(r() * 256);
    writeFileSync(join(dir, `blob${i}.bin`), buf);
  }
  writeFileSync(
    join(root, "Cargo.toml"),
    '[package]\nname = "benchproj"\nversion = "0.1.0"\nedition = "2021"\n',
  );
  writeFileSync(join(root, "src", "main.rs"), 'fn main() { println!("bench"); }\n');
}

/** A crate of `modules` generic modules: 100 take ~2 s of CPU to build here (the default
 * compilation.min_local_time_ms: anything faster stays local and never reaches a worker). */
export function generateHeavy(root: string, modules = 100): void {
  mkdirSync(join(root, "src"), { recursive: true });
  writeFileSync(join(root, "Cargo.toml"), '[package]\nname = "heavy"\nversion = "0.1.0"\nedition = "2021"\n');
  let main = "";
  for (let i = 0; i < modules; i++) {
    main += `mod m${i};\n`;
    writeFileSync(
      join(root, "src", `m${i}.rs`),
      `use std::collections::HashMap;
pub trait Shape${i} { fn area(&self) -> f64; fn name(&self) -> String; }
#[derive(Debug, Clone, Default)] pub struct S${i}<T: Clone + Default> { pub items: Vec<T>, pub index: HashMap<String, usize> }
impl<T: Clone + Default + std::fmt::Debug> S${i}<T> {
  pub fn push(&mut self, k: &str, v: T) { self.index.insert(k.to_string(), self.items.len()); self.items.push(v); }
  pub fn get(&self, k: &str) -> Option<&T> { self.index.get(k).map(|i| &self.items[*i]) }
  pub fn describe(&self) -> String { format!("{:?} {}", self.items, self.items.len() * ${i}) }
}
pub fn run() -> usize { let mut s: S${i}<u64> = S${i}::default(); for j in 0..10 { s.push(&j.to_string(), j); } s.describe().len() }
`,
    );
  }
  main += `fn main() { let mut t = 0; ${Array.from({ length: modules }, (_, i) => `t += m${i}::run();`).join(" ")} println!("{t}"); }\n`;
  writeFileSync(join(root, "src", "main.rs"), main);
}
