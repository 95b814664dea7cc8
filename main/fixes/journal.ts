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
import { hashFile } from './target-state';

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

/** Which state the target files are in, checked by hash: all old, all new, or mixed. */
export async function targetMatches(fix: InstalledFix): Promise<'old' | 'new' | 'mixed'> {
  let old = true;
  let neu = true;
  await mapLimit(fix.files, FIX_IO_CONCURRENCY, async (file) => {
    const absolute = join(fix.targetRoot, file.path);
    const actual = (await exists(absolute)) ? await hashFile(absolute) : null;
    if (actual !== file.oldSha256) old = false;
    if (actual !== file.newSha256) neu = false;
  });
  return old ? 'old' : neu ? 'new' : 'mixed';
}

async function restoreFile(root: string, file: FixFileRecord): Promise<void> {
  const absolute = join(root, file.path);
  if (file.backup !== null && (await exists(file.backup))) {
    // rename is atomic: the target goes from new (or absent) to old in one step.
    await fsp.rename(file.backup, absolute);
    // Same inode on both names (crash between link and swap): rename is then a no-op.
    await fsp.rm(file.backup, { force: true });
    return;
  }
  if (file.oldSha256 === null && (await exists(absolute))) {
    if ((await hashFile(absolute)) !== file.newSha256)
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
    for (let i = fix.files.length - 1; i >= 0; i--) {
      await restoreFile(fix.targetRoot, fix.files[i]!);
      await onFile?.(fix.files.length - 1 - i);
    }
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
