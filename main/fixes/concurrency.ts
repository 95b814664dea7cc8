// Bounded parallelism for the many small file operations of a fix: hashing,
// linking and renaming 1,000 files one by one leaves the disk and the libuv
// threadpool idle between requests.

/** File operations in flight at once. */
export const FIX_IO_CONCURRENCY = 16;

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results
 * keep their order. After the first failure no further item is started, and
 * the promise rejects with that failure only once every call in flight has
 * finished: nothing is still renaming or writing when the caller handles the
 * error (an apply that fails part way restores the old files next).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failure;
  return results;
}
