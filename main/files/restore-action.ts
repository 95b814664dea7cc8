// Bringing back what the trash and the backups keep (issue 3): file.restore
// for the engineer (consent-gated like any write), and the same core for
// `assent-agent files restore` on the machine. A trash entry goes back only
// where nothing exists (FILE_RESTORE_CONFLICT otherwise); a backup replaces
// the current version atomically, and that version is backed up first.
import { syncDirectory } from '../../platform/atomic-file';
import { AssentError } from '../../protocol/errors';
import { FileRestoreParams, type FileChangeResult, type KeptEntry } from '../../protocol/files';
import type { AtomicWriteOptions } from '../../platform/atomic-file';
import type { ActionHandler } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { auditFile, confirmTarget, resolveFor } from './file-target';
import { moveEntry, type KeptFacts, type KeptStore } from './kept-store';
import { replaceContent } from './replace-content';
import { entryIsAbsent, openParent, type OpenedDirectory } from './safe-path';
import { pathDisplay } from './visible-path';

export interface RestoreOptions {
  readonly signal?: AbortSignal;
  readonly hooks?: Pick<AtomicWriteOptions, 'onStep' | 'wrapHandle'>;
  readonly keptFor: Omit<KeptFacts, 'sha256' | 'size' | 'type' | 'originalPath'>;
}

/** Restores entry `id` to `name` in the opened directory `dir`; returns the backup id of a replaced version. */
export async function restoreKept(
  store: KeptStore,
  id: string,
  dir: OpenedDirectory,
  name: string,
  shown: string,
  options: RestoreOptions,
): Promise<{ entry: KeptEntry; replacedBackupId?: string }> {
  const { entry, item } = await store.get(id);
  if (entry.kind === 'trash') {
    if (!(await entryIsAbsent(dir, name)))
      throw new AssentError('FILE_RESTORE_CONFLICT', `Something already exists at ${shown}.`, {
        details: { path: shown, id },
      });
    await moveEntry(item, dir.entry(name));
    await syncDirectory(dir.path);
    await dir.verify();
    await store.remove(id);
    return { entry };
  }
  const written = await replaceContent(store, dir, name, shown, item, {
    signal: options.signal,
    hooks: options.hooks,
    keptFor: options.keptFor,
  });
  if (written.sha256 !== entry.sha256)
    throw new AssentError(
      'FILE_HASH_MISMATCH',
      `The backup ${id} does not match its recorded hash.`,
    );
  return written.backup ? { entry, replacedBackupId: written.backup.id } : { entry };
}

/** file.restore: a trash or backup entry, back where it was or to `to` (under a writable root). */
export function restoreHandler(deps: FileDeps, store: KeptStore): ActionHandler<FileRestoreParams> {
  return {
    params: FileRestoreParams,
    async describe(params) {
      const { entry } = await store.get(params.id);
      const target = await resolveFor(deps, 'write', params.to ?? entry.originalPath);
      if (target.name === '')
        throw new AssentError('FILE_RESTORE_CONFLICT', `${target.canonical} is a root.`);
      const dir = await openParent(target);
      let exists: boolean;
      try {
        exists = !(await entryIsAbsent(dir, target.name));
      } finally {
        await dir.close();
      }
      if (exists && entry.kind === 'trash')
        throw new AssentError(
          'FILE_RESTORE_CONFLICT',
          `Something already exists at ${target.canonical}.`,
        );
      return {
        kind: 'file.restore',
        target: target.canonical,
        params: { id: entry.id },
        ...(entry.sha256 ? { contentHash: entry.sha256 } : {}),
        match: { paths: [target.canonical] },
        preview: {
          kind: 'file.restore',
          path: pathDisplay(target.canonical),
          file: {
            size: entry.size,
            type: entry.type,
            ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
          },
          details: {
            id: entry.id,
            from: entry.kind,
            originalPath: entry.originalPath,
            replaces: exists,
          },
        },
      };
    },
    async execute(grant, params, context) {
      const { entry } = await store.get(params.id);
      const target = await confirmTarget(
        deps,
        grant,
        context,
        'write',
        params.to ?? entry.originalPath,
      );
      const dir = await openParent(target);
      let restored;
      try {
        restored = await restoreKept(store, params.id, dir, target.name, target.canonical, {
          signal: context.signal,
          hooks: deps.writeHooks,
          keptFor: {
            sessionId: deps.link.sessionId,
            engineer: deps.link.engineer.email,
            requestId: context.requestId,
          },
        });
      } finally {
        await dir.close();
      }
      await auditFile(deps, context, 'file.restore', {
        path: target.canonical,
        id: params.id,
        replacedBackupId: restored.replacedBackupId ?? null,
      });
      const result: FileChangeResult = { path: target.canonical };
      return result;
    },
  };
}
