// One fix operation at a time per data directory: applies, rollbacks and
// journal recovery share the journal and the registry. Within a process the
// operations queue; across processes (the agent and a local
// `assent-agent fix rollback`) a lock file holding the owner's pid refuses
// the second one. A lock left by a killed process (its pid is gone) is taken
// over, so a crash never blocks recovery.
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { AssentError } from '../../protocol/errors';

const tails = new Map<string, Promise<unknown>>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(dataDir: string): Promise<() => Promise<void>> {
  const dir = join(dataDir, 'fixes');
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fsp.rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await fsp.readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner))
      throw new AssentError(
        'FIX_BUSY',
        `Another process (pid ${owner}) is applying or rolling back a fix; try again when it has finished.`,
      );
    await fsp.rm(file, { force: true });
  }
  throw new AssentError('FIX_BUSY', 'The fix lock could not be taken.');
}

/** Runs `fn` after every earlier fix operation on `dataDir` in this process, holding the lock file. */
export async function withFixLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(dataDir);
  const before = tails.get(key) ?? Promise.resolve();
  const locked = async (): Promise<T> => {
    const release = await acquire(dataDir);
    try {
      return await fn();
    } finally {
      await release();
    }
  };
  const run = before.then(locked, locked);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
