// Sequential, paced round-trip measurement shared by the session bench and
// its references, so every variant is timed the same way.

/**
 * Runs `once(i)` `warmup + count` times, one after the other, each starting
 * at least `intervalMs` after the one before; resolves with the durations in
 * milliseconds of the last `count`.
 */
export async function pacedRoundTrips(
  count: number,
  warmup: number,
  intervalMs: number,
  once: (i: number) => Promise<void>,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const t0 = performance.now();
    await once(i);
    const elapsed = performance.now() - t0;
    if (i >= warmup) times.push(elapsed);
    if (elapsed < intervalMs) await new Promise((r) => setTimeout(r, intervalMs - elapsed));
  }
  return times;
}
