// Crash recovery (issue 5): on agent start an unfinished journal is replayed
// so the target is fully old or fully new (hash-checked), never mixed, and
// the audit log says which. An apply that had not committed is undone; a
// committed apply is kept; a rollback that had started is finished.
import type { AuditSink } from '../audit/audit-sink';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { withFixLock } from './fix-lock';
import type { FixStepHook } from './fix-types';
import { clearJournal, readJournal, restoreOld, targetMatches } from './journal';
import {
  findLive,
  loadRegistry,
  saveRegistry,
  withInstalled,
  withRolledBack,
  withoutUncommitted,
} from './registry';
import { AssentError } from '../../protocol/errors';
import { TARGET_WORK_DIR_NAME } from './target-state';

/** What recovery found and did. */
export interface FixRecovery {
  readonly id: string;
  readonly op: 'apply' | 'rollback';
  readonly phase: string;
  /** The state the target is in now: the files as before the operation, or as the fix installs them. */
  readonly outcome: 'old' | 'new';
}

async function removeDir(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
  const parent = dirname(dir);
  if (parent.endsWith(`/${TARGET_WORK_DIR_NAME}`)) await fsp.rmdir(parent).catch(() => undefined);
}

/** Work directories in the data dir that no installed fix refers to (left by a crash while staging). */
async function removeStaleWork(dataDir: string): Promise<void> {
  const base = join(dataDir, 'fixes', 'work');
  let names: string[];
  try {
    names = await fsp.readdir(base);
  } catch {
    return;
  }
  const registry = await loadRegistry(dataDir);
  const live = new Set(
    registry.fixes.filter((f) => f.status !== 'rolled-back').map((f) => f.workDir),
  );
  for (const name of names) if (!live.has(join(base, name))) await removeDir(join(base, name));
}

/** Replays an unfinished fix journal in `dataDir`; undefined when there was none. Call at agent start. */
export function recoverFixJournal(
  dataDir: string,
  options: { audit?: AuditSink; onStep?: FixStepHook } = {},
): Promise<FixRecovery | undefined> {
  return withFixLock(dataDir, () => recoverUnlocked(dataDir, options.audit, options.onStep));
}

/** recoverFixJournal for callers that already hold the fix lock. */
export async function recoverUnlocked(
  dataDir: string,
  audit: AuditSink | undefined,
  onStep?: FixStepHook,
): Promise<FixRecovery | undefined> {
  const restoreStep = async (i: number) => {
    await onStep?.(`recover-restore-${i}`);
  };
  const journal = await readJournal(dataDir);
  if (!journal) {
    await removeStaleWork(dataDir);
    return undefined;
  }
  const fix = journal.fix;
  let outcome: 'old' | 'new';
  try {
    if (journal.op === 'apply' && journal.phase === 'committed') {
      if ((await targetMatches(fix)) !== 'new')
        throw new AssentError(
          'FIX_RECOVERY_FAILED',
          `The files of ${fix.id} do not match the committed fix.`,
        );
      const registry = await loadRegistry(dataDir);
      if (findLive(registry, fix.id)?.packageSha256 !== fix.packageSha256)
        await saveRegistry(dataDir, withInstalled(registry, fix));
      await fsp.rm(join(fix.workDir, 'staged'), { recursive: true, force: true });
      outcome = 'new';
    } else if (journal.op === 'apply') {
      await restoreOld(fix, restoreStep);
      await saveRegistry(
        dataDir,
        withoutUncommitted(await loadRegistry(dataDir), fix.id, fix.packageSha256),
      );
      await removeDir(fix.workDir);
      outcome = 'old';
    } else {
      await restoreOld(fix, restoreStep);
      await saveRegistry(
        dataDir,
        withRolledBack(await loadRegistry(dataDir), fix.id, new Date().toISOString()),
      );
      await removeDir(fix.workDir);
      outcome = 'old';
    }
  } catch (err) {
    await audit?.append({
      type: 'fix.recovery-failed',
      actor: 'system',
      data: {
        id: fix.id,
        op: journal.op,
        phase: journal.phase,
        code: err instanceof AssentError ? err.code : 'IO_FAILED',
      },
    });
    throw err;
  }
  await clearJournal(dataDir);
  await removeStaleWork(dataDir);
  const recovery: FixRecovery = { id: fix.id, op: journal.op, phase: journal.phase, outcome };
  await audit?.append({
    type: 'fix.recovered',
    ...(journal.sessionId ? { sessionId: journal.sessionId } : {}),
    actor: 'system',
    data: {
      ...recovery,
      version: fix.version,
      packageSha256: fix.packageSha256,
      files: fix.files.length,
    },
  });
  return recovery;
}
