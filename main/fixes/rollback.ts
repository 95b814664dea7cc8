// Rolls an installed fix back byte for byte (issue 5): only when the target
// still holds exactly what the fix installed (so nothing newer is
// overwritten), journaled like an apply, every old hash checked afterwards.
import type { AuditSink } from '../audit/audit-sink';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { AssentError } from '../../protocol/errors';
import type { FixRollbackResult } from '../../protocol/fixes';
import { FIX_IO_CONCURRENCY, mapLimit } from './concurrency';
import { withFixLock } from './fix-lock';
import type { FixProgress, FixStepHook } from './fix-types';
import { clearJournal, restoreOld, targetMatches, writeJournal } from './journal';
import { recoverUnlocked } from './recover';
import {
  findLive,
  loadRegistry,
  saveRegistry,
  withRolledBack,
  type InstalledFix,
} from './registry';
import { TARGET_WORK_DIR_NAME } from './target-state';

export interface RollbackFixOptions {
  readonly dataDir: string;
  readonly id: string;
  /** Who asked (for the audit log): `local:<user>` or the session's engineer. */
  readonly by: string;
  readonly sessionId?: string;
  readonly audit?: AuditSink;
  /** Checked before the rollback starts; once files move it runs to the end (stopping halfway would leave a mix). */
  readonly signal?: AbortSignal;
  readonly progress?: FixProgress;
  readonly onStep?: FixStepHook;
}

/** The installed fix that `id` names, checked to be rollback-able right now. */
export async function rollbackCandidate(dataDir: string, id: string): Promise<InstalledFix> {
  const fix = findLive(await loadRegistry(dataDir), id);
  if (!fix) throw new AssentError('FIX_NOT_INSTALLED', `No installed fix has the id ${id}.`);
  if (fix.status === 'superseded')
    throw new AssentError(
      'FIX_SUPERSEDED',
      `${id} was superseded by ${fix.supersededBy ?? 'a permanent fix'}; roll that back first.`,
    );
  if ((await targetMatches(fix)) !== 'new')
    throw new AssentError(
      'FIX_TARGET_CHANGED',
      `The files of ${id} changed since it was installed; rollback refused.`,
    );
  await mapLimit(fix.files, FIX_IO_CONCURRENCY, async (file) => {
    if (file.backup === null) return;
    try {
      await fsp.lstat(file.backup);
    } catch (cause) {
      throw new AssentError(
        'FIX_TARGET_CHANGED',
        `The backup of ${file.path} is missing; rollback refused.`,
        { cause },
      );
    }
  });
  return fix;
}

/** Rolls back an installed fix; resolves when every file is back to its old bytes. */
export function rollbackFix(options: RollbackFixOptions): Promise<FixRollbackResult> {
  return withFixLock(options.dataDir, async () => {
    const { dataDir, audit } = options;
    const step = async (name: string) => {
      await options.onStep?.(name);
    };
    await recoverUnlocked(dataDir, audit);
    const fix = await rollbackCandidate(dataDir, options.id);
    options.signal?.throwIfAborted();
    await writeJournal(dataDir, {
      v: 1,
      op: 'rollback',
      phase: 'prepared',
      fix,
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    });
    await step('journal-written');
    await restoreOld(fix, async (i) => {
      options.progress?.(i + 1, fix.files.length, 'restoring');
      await step(`restore-${i}`);
    });
    await step('restored');
    await saveRegistry(
      dataDir,
      withRolledBack(await loadRegistry(dataDir), fix.id, new Date().toISOString()),
    );
    await step('registry-written');
    await fsp.rm(fix.workDir, { recursive: true, force: true });
    const parent = dirname(fix.workDir);
    if (parent.endsWith(`/${TARGET_WORK_DIR_NAME}`)) await fsp.rmdir(parent).catch(() => undefined);
    await clearJournal(dataDir);
    await step('cleaned');
    const result: FixRollbackResult = {
      id: fix.id,
      product: fix.product,
      version: fix.version,
      filesRestored: fix.files.length,
    };
    await audit?.append({
      type: 'fix.rolled-back',
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
      actor: 'agent',
      data: { ...result, by: options.by, packageSha256: fix.packageSha256 },
    });
    return result;
  });
}
