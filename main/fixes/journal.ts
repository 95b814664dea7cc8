// The multi-file journal of a fix apply or rollback (`<dataDir>/fixes/
// journal.json`, written atomically and fsynced at every phase). Each swap
// step is one rename, so every target file is always wholly old or wholly
// new; the journal says which way to go after a crash, and `restoreOld`
// brings every file back to its old bytes idempotently (it can be replayed
// any number of times, including after a crash inside itself).
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { AssentError } from '../../protocol/errors';
import { syncDirectory, writeFileAtomic } from '../../platform/atomic-file';
import { FIX_IO_CONCURRENCY, mapLimit } from './concurrency';
import { InstalledFix, type FixFileRecord } from './registry';
import { NOT_A_REGULAR_FILE_CODE } from './hash-job';
import { hashFiles } from './target-state';

export const FixJournal = z.object({
  v: z.literal(1),
  op: z.enum(['apply', 'rollback']),
  /** prepared: backups and swaps may be under way; committed: the operation is final. */
  phase: z.enum(['prepared', 'swapped', 'committed']),
  fix: InstalledFix,
  sessionId: z.string().optional(),
});
export type FixJournal = z.infer<typeof FixJournal>;

function journalPath(dataDir: string): string {
  return join(dataDir, 'fixes', 'journal.json');
}

/** Writes the journal durably (temp, fsync, rename, directory fsync). */
export async function writeJournal(dataDir: string, journal: FixJournal): Promise<void> {
  await fsp.mkdir(join(dataDir, 'fixes'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(journalPath(dataDir), Buffer.from(JSON.stringify(journal) + '\n'), {
    mode: 0o600,
  });
}

/** Reads the journal, or undefined when no fix operation is unfinished. */
export async function readJournal(dataDir: string): Promise<FixJournal | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(journalPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AssentError('IO_FAILED', 'The fix journal cannot be read.', { cause: err });
  }
  try {
    return FixJournal.parse(JSON.parse(text));
  } catch (cause) {
    throw new AssentError('FIX_RECOVERY_FAILED', 'The fix journal is malformed.', { cause });
  }
}

/** Removes the journal durably. */
export async function clearJournal(dataDir: string): Promise<void> {
  await fsp.rm(journalPath(dataDir), { force: true });
  await syncDirectory(join(dataDir, 'fixes'));
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** What target paths hold: each one's sha256, null when absent, or a marker that matches no hash for a link. */
async function currentHashes(paths: readonly string[]): Promise<Array<string | null>> {
  const outcomes = await hashFiles(paths);
  return outcomes.map((outcome) => {
    if ('sha256' in outcome) return outcome.sha256;
    const code = (outcome.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // A fix only ever installs or restores regular files: a link, a fifo or a device is neither state.
    if (code === 'ELOOP') return 'symbolic link';
    if (code === NOT_A_REGULAR_FILE_CODE) return 'not a regular file';
    throw outcome.error;
  });
}

/** Which state the target files are in, checked by hash: all old, all new, or mixed. */
export async function targetMatches(fix: InstalledFix): Promise<'old' | 'new' | 'mixed'> {
  const actual = await currentHashes(fix.files.map((file) => join(fix.targetRoot, file.path)));
  const old = fix.files.every((file, i) => actual[i] === file.oldSha256);
  const neu = fix.files.every((file, i) => actual[i] === file.newSha256);
  return old ? 'old' : neu ? 'new' : 'mixed';
}

/** Renames `backup` back to `absolute`; false when there is no backup (already restored, or never made). */
async function renameBack(backup: string, absolute: string): Promise<boolean> {
  try {
    // rename is atomic: the target goes from new (or absent) to old in one step.
    await fsp.rename(backup, absolute);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(backup))) return false;
    throw err;
  }
  // Same inode on both names (crash between link and swap): rename is then a no-op.
  await fsp.unlink(backup).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  return true;
}

async function restoreFile(root: string, file: FixFileRecord): Promise<void> {
  const absolute = join(root, file.path);
  if (file.backup !== null && (await renameBack(file.backup, absolute))) return;
  if (file.oldSha256 === null) {
    const [actual] = await currentHashes([absolute]);
    if (actual === null) return;
    if (actual !== file.newSha256)
      throw new AssentError(
        'FIX_RECOVERY_FAILED',
        `${file.path} was changed by someone else; it was left in place.`,
      );
    await fsp.unlink(absolute);
  }
}

/**
 * Brings every file of `fix` back to its old bytes (backups renamed back,
 * added files removed, created directories removed when empty), then checks
 * every hash. Idempotent. Throws FIX_RECOVERY_FAILED when the result is not
 * exactly the old state.
 */
export async function restoreOld(
  fix: InstalledFix,
  onFile?: (index: number) => void | Promise<void>,
): Promise<void> {
  try {
    // Files are independent (one rename or unlink each), so they are restored concurrently; a crash
    // part way leaves some restored and the journal still there, and restoring again finishes the rest.
    let restored = 0;
    await mapLimit([...fix.files].reverse(), FIX_IO_CONCURRENCY, async (file) => {
      await restoreFile(fix.targetRoot, file);
      await onFile?.(restored++);
    });
    // Each rename is atomic on its own; the directories are made durable once, before the journal is cleared.
    const dirs = new Set(fix.files.map((f) => dirname(join(fix.targetRoot, f.path))));
    await mapLimit([...dirs], FIX_IO_CONCURRENCY, async (dir) => {
      if (await exists(dir)) await syncDirectory(dir);
    });
    for (const dir of [...fix.createdDirs].reverse()) {
      try {
        await fsp.rmdir(dir);
        await syncDirectory(dirname(dir));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
    }
  } catch (err) {
    if (err instanceof AssentError) throw err;
    throw new AssentError('FIX_RECOVERY_FAILED', `Restoring the files of ${fix.id} failed.`, {
      cause: err,
    });
  }
  if ((await targetMatches(fix)) !== 'old')
    throw new AssentError(
      'FIX_RECOVERY_FAILED',
      `The files of ${fix.id} do not match their old hashes after restoring.`,
    );
}
