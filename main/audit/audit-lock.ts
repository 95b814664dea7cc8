// One writer per audit log. Two writers (say the desktop agent and a headless
// `assent-agent run` on the same data directory) would each continue the
// chain from the same record and fork it. A lock file next to the log holds
// the writer's pid; a lock whose process is gone (a crash) is taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { AssentError } from '../../protocol/errors';

/** Logs open for writing in this process (a second open of one would fork its chain too). */
const openInThisProcess = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockHolder(lockFile: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(lockFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The lock of one log, released by `release()`. */
export interface AuditLock {
  release(): Promise<void>;
}

/**
 * Takes the writer lock of `logFile` (`<logFile>.lock`), or throws
 * AUDIT_WRITE_FAILED naming the process that holds it. Two processes taking
 * over the same stale lock at the same instant is not excluded; that needs a
 * crash followed by two agents starting together.
 */
export async function lockAuditLog(logFile: string): Promise<AuditLock> {
  if (openInThisProcess.has(logFile))
    throw new AssentError(
      'AUDIT_WRITE_FAILED',
      `The audit log ${logFile} is already open in this process; close it first.`,
    );
  const lockFile = `${logFile}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = await lockHolder(lockFile);
      if (holder !== null && holder !== process.pid && isAlive(holder))
        throw new AssentError(
          'AUDIT_WRITE_FAILED',
          `The audit log is in use by another agent (process ${holder}); only one agent may run on a data directory.`,
          { details: { pid: holder } },
        );
      // Left behind by a process that is gone (or by this one before a crash-restart as the same pid).
      await unlink(lockFile).catch(() => undefined);
    }
  }
  openInThisProcess.add(logFile);
  let released = false;
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      openInThisProcess.delete(logFile);
      if ((await lockHolder(lockFile).catch(() => null)) === process.pid)
        await unlink(lockFile).catch(() => undefined);
    },
  };
}
