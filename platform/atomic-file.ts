// Atomic file replacement (DESIGN "Threat model": a crash can happen at any
// byte; a file is either old or new, never torn). The content goes to a
// temporary file in the target's own directory (so the rename stays on one
// file system), is fsynced, renamed over the target, and the directory is
// fsynced so the rename itself survives a power cut.
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AssentError } from '../protocol/errors';

/** The points of an atomic write, in order; `onStep` is called after each. */
export const ATOMIC_WRITE_STEPS = ['temp-written', 'temp-synced', 'renamed', 'dir-synced'] as const;
export type AtomicWriteStep = (typeof ATOMIC_WRITE_STEPS)[number];

/** Content of an atomic write: bytes, or chunks (a stream, an async generator). */
export type AtomicContent = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** The subset of a FileHandle an atomic write uses (tests wrap it to inject faults such as ENOSPC). */
export type AtomicFileHandle = Pick<FileHandle, 'write' | 'sync' | 'close' | 'chmod'>;

export interface AtomicWriteOptions {
  /** Permission bits of the new file; default: those of the file it replaces, else 0o644 (minus umask). */
  readonly mode?: number;
  /** Fail instead of replacing an existing target (the rename is then a link+unlink, see below). */
  readonly exclusive?: boolean;
  /** Stops the write (before the rename) when aborted; the target is untouched. */
  readonly signal?: AbortSignal;
  /** Called after each step; crash tests kill the process here. */
  readonly onStep?: (step: AtomicWriteStep) => void | Promise<void>;
  /** Wraps the temporary file's handle (fault injection in tests). */
  readonly wrapHandle?: (handle: FileHandle) => AtomicFileHandle;
}

export interface AtomicWriteResult {
  readonly bytes: number;
  /** Lower-case hex SHA-256 of what was written. */
  readonly sha256: string;
}

/** Maps a file system error to an AssentError: ENOSPC/EDQUOT is DISK_FULL, anything else IO_FAILED. */
export function fileSystemError(err: unknown, what: string): AssentError {
  if (err instanceof AssentError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new AssentError('DISK_FULL', `The disk is full while ${what}; nothing was changed.`, {
      cause: err,
    });
  return new AssentError(
    'IO_FAILED',
    `A file system operation failed while ${what} (${code ?? 'error'}).`,
    {
      cause: err,
    },
  );
}

function chunksOf(content: AtomicContent): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  return content instanceof Uint8Array ? [content] : content;
}

async function writeAll(handle: AtomicFileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/** fsyncs a directory so a rename or unlink in it is durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function currentMode(target: string): Promise<number | undefined> {
  try {
    const st = await fsp.lstat(target);
    return st.isFile() ? st.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/** The temporary name used beside `target` (hidden, unique, recognisable for cleanup). */
export function temporaryNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.assent-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `content` to `target` atomically: temp file in the same directory
 * (O_EXCL, O_NOFOLLOW), write, fsync, rename over the target, fsync the
 * directory. On any failure before the rename the temp file is removed and
 * the target is untouched; ENOSPC reports DISK_FULL.
 *
 * `target` may be a `/proc/self/fd/N/name` path, which keeps the write inside
 * a directory already opened and verified (main/files/safe-path.ts).
 */
export async function writeFileAtomic(
  target: string,
  content: AtomicContent,
  options: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const temp = temporaryNameFor(target);
  const mode = options.mode ?? (await currentMode(target)) ?? 0o644;
  let raw: FileHandle;
  try {
    raw = await fsp.open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
  } catch (err) {
    throw fileSystemError(err, `creating a temporary file beside ${basename(target)}`);
  }
  const handle = options.wrapHandle ? options.wrapHandle(raw) : raw;
  const hash = createHash('sha256');
  let bytes = 0;
  await completeTemporary(temp, target, options, async () => {
    try {
      for await (const chunk of chunksOf(content)) {
        options.signal?.throwIfAborted();
        await writeAll(handle, chunk);
        hash.update(chunk);
        bytes += chunk.byteLength;
      }
      options.signal?.throwIfAborted();
      await options.onStep?.('temp-written');
      await handle.sync();
      // open() applies the umask; an explicit chmod keeps the old file's bits.
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  });
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * The steps writeFileAtomic and moveFileAtomic share: `prepare` completes and
 * syncs the temporary file, which is then put in place (rename, or link when
 * exclusive) and the directory synced, reporting each step. On any failure
 * before the rename the temporary file is removed and the target untouched.
 */
async function completeTemporary(
  temp: string,
  target: string,
  options: Pick<AtomicWriteOptions, 'onStep' | 'signal' | 'exclusive'>,
  prepare: () => Promise<void>,
): Promise<void> {
  let renamed = false;
  try {
    await prepare();
    await options.onStep?.('temp-synced');
    options.signal?.throwIfAborted();
    await placeTemporary(temp, target, options.exclusive === true);
    renamed = true;
    await options.onStep?.('renamed');
    await syncDirectory(dirname(target));
    await options.onStep?.('dir-synced');
  } catch (err) {
    if (!renamed) await fsp.rm(temp, { force: true }).catch(() => undefined);
    if (options.signal?.aborted && !renamed) throw options.signal.reason ?? err;
    throw fileSystemError(err, `writing ${basename(target)}`);
  }
}

/** Renames `temp` over `target`, or (exclusive) links it so an existing target is never replaced. */
async function placeTemporary(temp: string, target: string, exclusive: boolean): Promise<void> {
  if (!exclusive) {
    await fsp.rename(temp, target);
    return;
  }
  try {
    // link() fails with EEXIST instead of replacing: no window where a
    // concurrently created target is clobbered.
    await fsp.link(temp, target);
    await fsp.unlink(temp);
  } catch (err) {
    // File systems without hard links (FAT, some network shares): check, then rename.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
      throw err;
    const existing = await fsp.lstat(target).catch(() => null);
    if (existing) throw Object.assign(new Error(`${target} exists`), { code: 'EEXIST' });
    await fsp.rename(temp, target);
  }
}

/**
 * Moves a file that is already complete (a staged upload on the same file
 * system) into place atomically, without copying it: rename to a temporary
 * name beside the target, fsync and chmod it, rename over the target (link
 * when exclusive), fsync the directory. The same steps are reported as for
 * writeFileAtomic. EXDEV (another file system) is thrown as is, before
 * anything changed, so the caller can copy instead. On any other failure
 * before the final rename the source is gone and the target untouched.
 */
export async function moveFileAtomic(
  source: string,
  target: string,
  options: Omit<AtomicWriteOptions, 'wrapHandle'> = {},
): Promise<void> {
  const temp = temporaryNameFor(target);
  const mode = options.mode ?? (await currentMode(target)) ?? 0o644;
  await fsp.rename(source, temp);
  await completeTemporary(temp, target, options, async () => {
    await options.onStep?.('temp-written');
    const handle = await fsp.open(temp, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.nlink !== 1) throw new Error('the moved file is not a plain file');
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** Removes leftover temporary files of interrupted atomic writes in `dir`; returns how many. */
export async function removeStaleTemporaries(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await fsp.readdir(dir)) {
    if (/^\..+\.assent-[0-9a-f]{12}\.tmp$/.test(name)) {
      await fsp.rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
