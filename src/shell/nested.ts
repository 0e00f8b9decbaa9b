// The environment marker that says "this process runs inside a build rch already placed": set by
// `rch exec` for the builds it runs (here and on the worker) and by rch's PATH shim when it execs
// a real tool. A shim that sees it runs the real tool at once, so a build is never offloaded a
// second time, nor taken apart into one offload per sub-step (make → cc, cargo → build script → cc).
export const NESTED_ENV = "RCH_NESTED";
