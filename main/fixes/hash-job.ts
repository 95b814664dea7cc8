// Hashes files for the fix code in the fix worker (fix-worker.ts): the old
// files of a target before an apply, and every target file when an apply or
// rollback is checked. Synchronous calls on the worker's own core: one
// open, read and close each without a thread pool round trip, into one
// reused buffer.
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';

/** Flags of a staged file: created here, never through a link, private until its mode is set. */
export const STAGED_CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
import {
  CONTROL_ABORT,
  PRECREATE_CLAIMS,
  PRECREATE_COUNT,
  PRECREATE_DISK_FULL,
  PRECREATE_FAILED,
  PRECREATE_IO_FAILED,
  PRECREATE_STOP,
  serializeError,
  type HashDone,
  type HashJob,
  type HashOutcome,
} from './fix-worker-protocol';

/** Bytes read at once when hashing a file. */
const HASH_READ_BYTES = 1024 * 1024;

let buffer: Buffer | undefined;

/**
 * sha256 hex of a file's contents. The last component is never followed
 * (ELOOP); a fifo does not block the open (O_NONBLOCK; no effect on a
 * regular file). With `expectedSize` (from an lstat), a short read that ends
 * exactly there is taken as the end of the file: one read for a small file.
 */
function hashFileSync(path: string, expectedSize: number | undefined): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  buffer ??= Buffer.allocUnsafe(HASH_READ_BYTES);
  try {
    const hash = createHash('sha256');
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) return hash.digest('hex');
      hash.update(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (bytesRead < buffer.length && total === expectedSize) return hash.digest('hex');
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the empty staged files in order, each it claims first, publishing
 * how many are done; stops at the first failure (recorded for the payload
 * worker) or when told to.
 */
function precreate(paths: readonly string[], shared: SharedArrayBuffer): void {
  const control = new Int32Array(shared);
  for (const [i, path] of paths.entries()) {
    if (Atomics.load(control, PRECREATE_STOP) !== 0) break;
    if (Atomics.compareExchange(control, PRECREATE_CLAIMS + i, 0, 1) !== 0) {
      // The payload worker got there first and creates this one itself.
      Atomics.store(control, PRECREATE_COUNT, i + 1);
      continue;
    }
    try {
      closeSync(openSync(path, STAGED_CREATE_FLAGS, 0o600));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOSPC' || code === 'EDQUOT' ? PRECREATE_DISK_FULL : PRECREATE_IO_FAILED;
      Atomics.store(control, PRECREATE_FAILED, why);
      Atomics.notify(control, PRECREATE_COUNT);
      return;
    }
    Atomics.store(control, PRECREATE_COUNT, i + 1);
    Atomics.notify(control, PRECREATE_COUNT);
  }
}

/** Hashes every file of the job in order; with `stopAtError`, none after the first that fails. */
export function runHashJob(job: HashJob): HashDone {
  if (job.precreate) precreate(job.precreate.paths, job.precreate.control);
  const control = new Int32Array(job.control);
  const outcomes: HashOutcome[] = [];
  for (const file of job.files) {
    if (Atomics.load(control, CONTROL_ABORT) !== 0) throw new Error('aborted');
    try {
      outcomes.push({ sha256: hashFileSync(file.path, file.size) });
    } catch (err) {
      outcomes.push({ error: serializeError(err) });
      if (job.stopAtError) break;
    }
  }
  return { t: 'done', outcomes };
}
