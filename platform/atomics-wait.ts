// Atomics.waitAsync, which V8 has (Node 16+) and TypeScript types only from
// lib ES2024 on. This project's lib stays ES2023: Node 20 lacks other ES2024
// APIs the compiler would then allow.

/** What waitAsync returns: at once when the value already differs, else a promise. */
export type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

/** The Atomics object with its waitAsync (for code that cannot import: a worker's eval'd body). */
export interface AtomicsWithWaitAsync {
  waitAsync(typed: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
}

/** Waits without blocking until `typed[index]` is notified while not `value` (or `timeoutMs` passes). */
export function waitAsync(
  typed: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
): WaitAsyncResult {
  return (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(typed, index, value, timeoutMs);
}
