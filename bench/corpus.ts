// Realistic agent command lines, shared by the classifier benchmark and the prefilter tests.

const files = ["src/main.rs", "src/lib.rs", "README.md", "package.json", "src/hook/reply.ts", "tests/it.rs"];
const patterns = ["TODO", "fn main", "unwrap()", "import ", "describe(", "error"];

export const nonBuild: string[] = [
  "git status",
  "git status --short",
  "git diff",
  "git diff --stat",
  "git log --oneline -20",
  "git log -p -3 -- src/",
  "git add -A && git commit -m 'wip'",
  "git show HEAD~1 --stat",
  "git branch -a",
  "git stash list",
  "git checkout -b feature/x",
  "git rev-parse --show-toplevel",
  "git fetch origin",
  "ls",
  "ls -la",
  "ls -la src/",
  "pwd",
  "tree -L 2",
  "du -sh target",
  "df -h",
  "whoami",
  "date",
  "npm install",
  "npm run lint",
  "npm test",
  "npx prettier --check .",
  "pnpm install",
  "pnpm -r test",
  "yarn build",
  "node scripts/gen.js",
  "python3 -m pytest -x -q",
  "python3 script.py --verbose",
  "pip install -r requirements.txt",
  "go test ./...",
  "go build ./cmd/server",
  "go vet ./...",
  "docker ps",
  "docker compose up -d",
  "kubectl get pods -A",
  "curl -s https://example.com | jq .",
  "jq '.scripts' package.json",
  "ps aux | grep node",
  "env | sort",
  "which python3",
  "echo $PATH",
  "mkdir -p build/out",
  "rm -rf dist",
  "cp a.txt b.txt",
  "mv old.rs new.rs",
  "touch src/new.ts",
  "chmod +x scripts/run.sh",
  "wc -l src/*.ts",
  "find . -name '*.rs' | head -20",
  "tail -n 100 app.log",
  "diff -u a.txt b.txt",
  "awk '{print $1}' data.txt | sort | uniq -c",
  "xxd file.bin | head",
  "git commit -m 'fix cargo build on macOS'",
  "grep -rn make docs/",
  "echo 'run make later'",
  "cat Makefile",
  "cat Cargo.toml",
  "head -40 CMakeLists.txt",
  "ls ~/.cargo/bin",
];
for (const f of files) {
  nonBuild.push(`cat ${f}`, `sed -n '1,120p' ${f}`, `head -50 ${f}`, `wc -l ${f}`, `git diff ${f}`);
  nonBuild.push(`git log --oneline -- ${f}`, `ls -la ${f}`);
}
for (const p of patterns) {
  nonBuild.push(`grep -rn '${p}' src`, `rg -n "${p}" --type rust`, `rg -l '${p}' . | head`);
  nonBuild.push(`grep -c "${p}" src/main.rs`, `git grep -n '${p}'`, `rg -n '${p}' src tests -g '!*.snap'`);
}
for (let i = 1; i <= 60; i++) {
  nonBuild.push(`sed -n '${i * 10},${i * 10 + 40}p' src/module_${i}.rs`, `git show HEAD~${i} --stat`);
  nonBuild.push(`cd packages/pkg${i} && ls`, `python3 -c 'print(${i})'`);
}

/** Build lines as agents write them. */
export const build: string[] = [
  "cargo build",
  "cargo build --release",
  "cargo test",
  "cargo test --workspace",
  "cargo check",
  "cargo clippy --all-targets -- -D warnings",
  "cargo test -p core -- --nocapture",
  "cargo nextest run",
  "cargo +nightly build -Z build-std",
  "cargo doc --no-deps",
  "cargo bench -- --save-baseline main",
  "RUST_BACKTRACE=1 cargo test",
  "cd app && RUST_BACKTRACE=1 cargo test 2>&1 | tail -40",
  "cargo build 2>&1 | grep -E '^(error|warning)' | head -50",
  "cargo test --lib 2>&1 | tail -30",
  "timeout 600 cargo test --release",
  "time cargo build --release",
  "cargo fmt && cargo clippy",
  "make",
  "make -j8",
  "make -j16",
  "make -C build all",
  "make test",
  "make CC=clang CFLAGS='-O2 -g' all",
  "cd build && make -j8 2>&1 | tail",
  "make install",
  "gcc -O2 -Wall -c src/foo.c -o build/foo.o",
  "g++ -std=c++20 -O2 -o app main.cpp util.cpp",
  "clang -c x.c",
  "cc -o prog prog.c -lm",
  "rustc main.rs -o main",
  "cmake --build build -j 8",
  "cmake --build build --target tests",
  "ninja -C build",
  "ninja -C out/Debug chrome",
  "meson compile -C builddir",
  "bun test",
  "bun test src/classify",
  "cd web && bun test 2>&1 | tail -20",
  "bun typecheck",
  "nice -n 10 make -j4 all",
  "env CARGO_TARGET_DIR=/tmp/t cargo build",
];

for (const crate of ["core", "cli", "server", "proto", "util", "db", "api", "web"]) {
  build.push(`cargo test -p ${crate}`, `cargo build -p ${crate} --release`, `cargo clippy -p ${crate}`);
  build.push(
    `cd crates/${crate} && cargo test 2>&1 | tail -50`,
    `cargo test -p ${crate} -- --test-threads=1`,
  );
  build.push(`RUSTFLAGS='-D warnings' cargo check -p ${crate}`, `make -C ${crate} -j8 all`);
  build.push(`gcc -c ${crate}.c -o ${crate}.o -I include -DNDEBUG`, `ninja -C build ${crate}_test`);
}
for (let i = 1; i <= 40; i++) {
  build.push(`cargo test test_case_${i} -- --exact`, `make -j${i % 16} target_${i}`);
  build.push(`bun test test/unit_${i}.test.ts`, `cd pkg${i} && cargo build 2>&1 | tail -${i}`);
}
