// Bounded parallelism for the many small file operations of a fix: hashing
// and fsyncing 1,000 files one by one leaves the disk idle between requests,
// while concurrent fsyncs let the file system commit them together.
import { promises as fsp } from 'node:fs';

/** File operations in flight at once. */
export const FIX_IO_CONCURRENCY = 16;

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep their order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** fsyncs every file in `paths` (content and metadata durable before anything renames them into place). */
export async function syncFiles(paths: readonly string[]): Promise<void> {
  await mapLimit(paths, FIX_IO_CONCURRENCY, async (path) => {
    const handle = await fsp.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}
