// The one way the file actions put content into a file: atomically
// (platform/atomic-file.ts), inside an opened and verified directory, with
// the previous version kept as a backup first. Used by file.write, file.edit,
// file.restore of a backup, and `assent-agent files restore`.
import { createReadStream } from 'node:fs';
import { promises as fsp } from 'node:fs';
import {
  moveFileAtomic,
  writeFileAtomic,
  type AtomicWriteOptions,
  type AtomicWriteResult,
} from '../../platform/atomic-file';
import { AssentError } from '../../protocol/errors';
import { FILE_CHUNK_BYTES, type KeptEntry } from '../../protocol/files';
import type { KeptFacts, KeptStore } from './kept-store';
import { entryIsAbsent, openRegularFile, type OpenedDirectory } from './safe-path';

export interface ReplaceOptions {
  readonly signal?: AbortSignal;
  /** When set, the current content must hash to this (edit); FILE_CHANGED otherwise. */
  readonly baseSha256?: string;
  /** True: the target must not exist (write); false: it may (restore of a backup). */
  readonly createOnly?: boolean;
  /** True: the target must exist (edit). */
  readonly mustExist?: boolean;
  readonly hooks?: Pick<AtomicWriteOptions, 'onStep' | 'wrapHandle'>;
  /**
   * The source is a staged upload with this size and hash that may be moved
   * into place instead of copied (same file system: no second write of the
   * content); it is gone afterwards either way.
   */
  readonly consume?: { readonly size: number; readonly sha256: string };
  /** Who the backup of the old version is recorded for. */
  readonly keptFor: Omit<KeptFacts, 'sha256' | 'size' | 'type' | 'originalPath'>;
}

export interface ReplaceResult extends AtomicWriteResult {
  /** Backup of the version that was replaced. */
  readonly backup?: KeptEntry;
}

/**
 * Removes temporary files an interrupted write of this same target left
 * (`.name.assent-<hex>.tmp`, see platform/atomic-file.ts): after a crash the
 * target is old or new, and the leftover is garbage.
 */
async function removeCrashLeftovers(dir: OpenedDirectory, name: string): Promise<void> {
  const prefix = `.${name}.assent-`;
  if (Buffer.byteLength(prefix) + 16 > 255) return;
  for (const entry of await fsp.readdir(dir.path)) {
    if (entry.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(entry.slice(prefix.length))) {
      const st = await fsp.lstat(dir.entry(entry)).catch(() => null);
      if (st?.isFile()) await fsp.rm(dir.entry(entry), { force: true });
    }
  }
}

/**
 * Writes the file `source` (a staged upload or a backup item) to `name` in
 * `dir`. An existing version is opened with every path-safety check, backed
 * up (and its hash compared to `baseSha256`), and must not change until the
 * rename; the directory is re-verified just before the rename.
 */
export async function replaceContent(
  store: KeptStore,
  dir: OpenedDirectory,
  name: string,
  shown: string,
  source: string,
  options: ReplaceOptions,
): Promise<ReplaceResult> {
  await removeCrashLeftovers(dir, name);
  const absent = await entryIsAbsent(dir, name);
  if (absent && options.mustExist)
    throw new AssentError('FILE_NOT_FOUND', `${shown} no longer exists.`, {
      details: { path: shown },
    });
  if (!absent && options.createOnly)
    throw new AssentError('FILE_EXISTS', `Something already exists at ${shown}.`, {
      details: { path: shown },
    });
  let backup: KeptEntry | undefined;
  let mode = 0o644;
  let expected: { ino: number; size: number; mtimeMs: number } | null = null;
  if (!absent) {
    const { handle, stat } = await openRegularFile(dir, name, shown);
    try {
      backup = await store.backup(handle, { ...options.keptFor, originalPath: shown });
    } finally {
      await handle.close();
    }
    if (options.baseSha256 !== undefined && backup.sha256 !== options.baseSha256) {
      await store.remove(backup.id);
      throw new AssentError(
        'FILE_CHANGED',
        `${shown} changed since the version the edit is based on.`,
        {
          details: { path: shown, current: backup.sha256 ?? null },
        },
      );
    }
    mode = stat.mode & 0o7777;
    expected = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
  }
  const beforeRename = async (): Promise<void> => {
    const now = await fsp.lstat(dir.entry(name)).catch(() => null);
    const same = expected
      ? now !== null &&
        now.ino === expected.ino &&
        now.size === expected.size &&
        now.mtimeMs === expected.mtimeMs
      : now === null;
    if (!same)
      throw new AssentError('FILE_CHANGED', `${shown} changed while the new version was written.`, {
        details: { path: shown },
      });
    await dir.verify();
  };
  const atomic = {
    mode,
    exclusive: absent,
    signal: options.signal,
    onStep: async (step: Parameters<NonNullable<AtomicWriteOptions['onStep']>>[0]) => {
      if (step === 'temp-synced') await beforeRename();
      await options.hooks?.onStep?.(step);
    },
  };
  try {
    let result: AtomicWriteResult | null = null;
    if (options.consume) {
      try {
        await moveFileAtomic(source, dir.entry(name), atomic);
        result = { bytes: options.consume.size, sha256: options.consume.sha256 };
      } catch (err) {
        // Another file system: copy instead (nothing has changed yet).
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      }
    }
    result ??= await writeFileAtomic(
      dir.entry(name),
      createReadStream(source, { highWaterMark: FILE_CHUNK_BYTES }),
      { ...atomic, wrapHandle: options.hooks?.wrapHandle },
    );
    return backup ? { ...result, backup } : result;
  } catch (err) {
    if (options.signal?.aborted && !(err instanceof AssentError))
      throw new AssentError('FILE_TRANSFER_STOPPED', undefined, { cause: err });
    if (
      err instanceof AssentError &&
      err.code === 'IO_FAILED' &&
      absent &&
      (await entryIsAbsent(dir, name)) === false
    )
      throw new AssentError('FILE_EXISTS', `Something was created at ${shown} meanwhile.`, {
        cause: err,
      });
    throw err;
  }
}
