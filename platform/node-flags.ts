// V8 flags every long-running Assent process is started with (relay, agent,
// engineer console), declared once. The bins carry the same flags in their
// shebang and package.json's scripts in their `node` command line (a V8 heap
// flag only works at process start, and Node refuses it in NODE_OPTIONS);
// test/cli/node-flags.test.ts keeps those in step with this list.
//
// Why: moving bulk data allocates a buffer per socket read and per frame.
// With V8's default sizing, a process whose heap is small (10–20 MB, as the
// relay's and the engineer's are) runs a full mark-compact collection every
// few tens of MB of such buffers, because their external memory counts
// against a limit derived from that small heap; with a 64 MB floor the same
// buffers die in cheap young-generation collections. Measured on the session
// bench: 4.3–4.8 → 2.9–3.5 CPU s/GiB (relay 1.8 → 1.0, engineer 1.9 → 1.0);
// docs/performance.md.
//
// And --no-memory-reducer: when a process goes quiet, V8's memory reducer runs
// full, compacting collections to shrink the heap; each paused the process
// 8–12 ms. An interactive session is mostly quiet between messages, so these
// landed on chat round trips and keystrokes (p99 5–10 ms, against 3–4 ms
// without them). The heap then stays at its high-water mark instead of
// shrinking while idle (relay-memory bench: docs/performance.md).
export const NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64', '--no-memory-reducer'];
