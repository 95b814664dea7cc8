// mapLimit: bounded, ordered, and after a failure it starts nothing new and
// settles everything in flight before it rejects (an apply that fails part
// way restores the old files next; no rename may still be running then).
import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../main/fixes/concurrency';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('mapLimit', () => {
  it('keeps the order of results and never exceeds the limit', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([...Array(50).keys()], 4, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return n * 2;
    });
    expect(results).toEqual([...Array(50).keys()].map((n) => n * 2));
    expect(most).toBe(4);
  });

  it('handles no items', async () => {
    expect(await mapLimit([], 4, () => Promise.resolve(1))).toEqual([]);
  });

  it('after a failure starts nothing new and rejects only once the calls in flight ended', async () => {
    const slow = deferred();
    const started: number[] = [];
    const finished: number[] = [];
    const failure = new Error('link failed');
    const run = mapLimit([0, 1, 2, 3, 4, 5], 3, async (n) => {
      started.push(n);
      if (n === 1) throw failure;
      if (n === 0) await slow.promise;
      finished.push(n);
      return n;
    });
    let settled = false;
    void run.catch(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    slow.resolve();
    await expect(run).rejects.toBe(failure);
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 2]);
  });
});
