// One fix operation at a time per data directory (in this process): applies,
// rollbacks and journal recovery share the journal and the registry.
import { resolve } from 'node:path';

const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier fix operation on `dataDir` has finished. */
export async function withFixLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(dataDir);
  const before = tails.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
