// Hashes files for the fix code in the fix worker (fix-worker.ts): the old
// files of a target before an apply, and every target file when an apply or
// rollback is checked. Synchronous calls on the worker's own core: one
// open, read and close each without a thread pool round trip, into one
// reused buffer.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';

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

/**
 * The errno-style code of a file that opened but is not a regular file (a
 * fifo, a device, a directory): BSD's "inappropriate file type", which Linux
 * does not use, so it cannot be mistaken for a real open or read error.
 */
export const NOT_A_REGULAR_FILE_CODE = 'EFTYPE';

let buffer: Buffer | undefined;

function fileError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * sha256 hex and size of a regular file's contents. The last component is
 * never followed (ELOOP); a fifo or device does not block the open
 * (O_NONBLOCK) and is refused before a byte is read (fstat), so nothing
 * reads forever. A short read that ends exactly at the size fstat gave is
 * taken as the end of the file: one read for a small file. Stops when
 * `aborted` says so between two reads.
 */
function hashFileSync(path: string, aborted: () => boolean): { sha256: string; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  buffer ??= Buffer.allocUnsafe(HASH_READ_BYTES);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw fileError(`${path} is not a regular file.`, NOT_A_REGULAR_FILE_CODE);
    const hash = createHash('sha256');
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (bytesRead < buffer.length && total === stats.size) break;
      if (aborted()) throw new Error('aborted');
    }
    return { sha256: hash.digest('hex'), size: total };
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks that every directory between `root` and `path` is a real directory
 * (lstat, each once per job in `known`): a file is never opened through a
 * link on the way, which could lead anywhere (a device, a file outside the
 * root). Throws ENOENT, ELOOP or ENOTDIR.
 */
function checkDirsBelow(root: string, path: string, known: Map<string, string>): void {
  const dirs: string[] = [];
  for (let dir = dirname(path); dir.length > root.length; dir = dirname(dir)) dirs.push(dir);
  for (const dir of dirs.reverse()) {
    let problem = known.get(dir);
    if (problem === undefined) {
      const stats = lstatSync(dir, { throwIfNoEntry: false });
      problem = !stats
        ? 'ENOENT'
        : stats.isSymbolicLink()
          ? 'ELOOP'
          : stats.isDirectory()
            ? ''
            : 'ENOTDIR';
      known.set(dir, problem);
    }
    if (problem !== '')
      throw fileError(
        problem === 'ENOENT'
          ? `${dir} does not exist.`
          : `${dir} is ${problem === 'ELOOP' ? 'a symbolic link' : 'not a directory'}.`,
        problem,
      );
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
  const aborted = () => Atomics.load(control, CONTROL_ABORT) !== 0;
  const knownDirs = new Map<string, string>();
  const outcomes: HashOutcome[] = [];
  for (const file of job.files) {
    if (aborted()) throw new Error('aborted');
    try {
      if (job.under !== undefined) checkDirsBelow(job.under, file, knownDirs);
      outcomes.push(hashFileSync(file, aborted));
    } catch (err) {
      if (aborted()) throw new Error('aborted');
      outcomes.push({ error: serializeError(err) });
      if (job.stopAtError) break;
    }
  }
  return { t: 'done', outcomes };
}
