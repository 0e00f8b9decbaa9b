// The environment assignment put in front of rch wherever a shell starts it for a decision that
// takes a few milliseconds (`rch hook`, `rch shim decide`). With JavaScriptCore's JIT off the
// process runs in the interpreter only and skips setting the JIT up: a build-path `rch hook` ran
// 4.4–4.6 ms faster (29.2–29.7 → 24.6–25.0 ms, compiled rch, 200 interleaved runs, medians), and a
// 190 KB command of 3,000 builds classified no slower (127 vs 122 ms). Raising the JIT's tier-up
// thresholds instead (`--compile-jit-policy`) changed nothing, so the saving is the set-up, not
// the compiling. Only these short runs get it: `rch exec` and rchd keep the JIT (the shell puts
// the assignment on that one command; nothing the hook or the decision starts inherits it).
export const SHORT_RUN_ENV = "BUN_JSC_useJIT=0";
