// file.mkdir, file.rename and file.delete (issue 3). Delete moves the entry
// into the restorable trash of the agent's data directory (kept-store.ts);
// nothing is ever unlinked for good by an engineer's request. Rename and
// delete act on the name (rename(2) never follows the final component), so
// they are allowed on links and on files with other hard links.
import { promises as fsp } from 'node:fs';
import { syncDirectory } from '../../platform/atomic-file';
import { AssentError } from '../../protocol/errors';
import {
  FileDeleteParams,
  FileMkdirParams,
  FileRenameParams,
  type FileChangeResult,
} from '../../protocol/files';
import type { ActionHandler } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { assertAbsent, auditFile, confirmTarget, resolveFor } from './file-target';
import type { KeptStore } from './kept-store';
import {
  entryIsAbsent,
  fileTypeOf,
  lstatEntry,
  openParent,
  pathError,
  type ResolvedPath,
} from './safe-path';
import { pathDisplay } from './visible-path';

function notRoot(target: ResolvedPath): void {
  if (target.name === '')
    throw new AssentError(
      'FILE_PATH_INVALID',
      `${target.canonical} is a root; it cannot be changed.`,
    );
}

/** file.mkdir: one new directory (the parent must exist). */
export function mkdirHandler(deps: FileDeps): ActionHandler<FileMkdirParams> {
  return {
    params: FileMkdirParams,
    async describe(params) {
      const target = await resolveFor(deps, 'write', params.path);
      notRoot(target);
      await assertAbsent(target);
      return {
        kind: 'file.mkdir',
        target: target.canonical,
        params: {},
        match: { paths: [target.canonical] },
        preview: { kind: 'file.mkdir', path: pathDisplay(target.canonical) },
      };
    },
    async execute(grant, params, context) {
      const target = await confirmTarget(deps, grant, context, 'write', params.path);
      const dir = await openParent(target);
      try {
        await fsp.mkdir(dir.entry(target.name), 0o755).catch((err) => {
          throw pathError(err, target.canonical);
        });
        await syncDirectory(dir.path);
        await dir.verify();
      } finally {
        await dir.close();
      }
      await auditFile(deps, context, 'file.mkdir', { path: target.canonical });
      const result: FileChangeResult = { path: target.canonical };
      return result;
    },
  };
}

async function renameTargets(deps: FileDeps, params: FileRenameParams) {
  const from = await resolveFor(deps, 'write', params.path);
  const to = await resolveFor(deps, 'write', params.to);
  notRoot(from);
  notRoot(to);
  if (to.canonical === from.canonical || to.canonical.startsWith(`${from.canonical}/`))
    throw new AssentError(
      'FILE_PATH_INVALID',
      `${to.canonical} is ${from.canonical} or inside it.`,
    );
  return { from, to };
}

/** file.rename: moves an entry to a new name under a writable root; never replaces anything. */
export function renameHandler(deps: FileDeps): ActionHandler<FileRenameParams> {
  return {
    params: FileRenameParams,
    async describe(params) {
      const { from, to } = await renameTargets(deps, params);
      const dir = await openParent(from);
      try {
        await lstatEntry(dir, from.name, from.canonical);
      } finally {
        await dir.close();
      }
      await assertAbsent(to);
      return {
        kind: 'file.rename',
        target: from.canonical,
        params: { to: to.canonical },
        match: { paths: [from.canonical, to.canonical] },
        preview: {
          kind: 'file.rename',
          path: pathDisplay(from.canonical),
          destination: pathDisplay(to.canonical),
        },
      };
    },
    async execute(grant, params, context) {
      const from = await confirmTarget(deps, grant, context, 'write', params.path);
      const to = await confirmTarget(
        deps,
        grant,
        context,
        'write',
        params.to,
        String(context.action.params['to']),
      );
      const src = await openParent(from);
      try {
        const dst = await openParent(to);
        try {
          await lstatEntry(src, from.name, from.canonical);
          if (!(await entryIsAbsent(dst, to.name)))
            throw new AssentError('FILE_EXISTS', `Something already exists at ${to.canonical}.`);
          await fsp.rename(src.entry(from.name), dst.entry(to.name)).catch((err) => {
            throw pathError(err, to.canonical);
          });
          await syncDirectory(dst.path);
          if (src.real !== dst.real) await syncDirectory(src.path);
          await src.verify();
          await dst.verify();
        } finally {
          await dst.close();
        }
      } finally {
        await src.close();
      }
      await auditFile(deps, context, 'file.rename', { path: from.canonical, to: to.canonical });
      const result: FileChangeResult = { path: from.canonical, to: to.canonical };
      return result;
    },
  };
}

/** file.delete: moves the entry (file, directory or link) into the trash. */
export function deleteHandler(deps: FileDeps, store: KeptStore): ActionHandler<FileDeleteParams> {
  return {
    params: FileDeleteParams,
    async describe(params) {
      const target = await resolveFor(deps, 'write', params.path);
      notRoot(target);
      const dir = await openParent(target);
      let st;
      try {
        st = await lstatEntry(dir, target.name, target.canonical);
      } finally {
        await dir.close();
      }
      return {
        kind: 'file.delete',
        target: target.canonical,
        params: {},
        match: { paths: [target.canonical] },
        preview: {
          kind: 'file.delete',
          path: pathDisplay(target.canonical),
          file: { size: st.size, type: fileTypeOf(st), modifiedAt: st.mtime.toISOString() },
        },
      };
    },
    async execute(grant, params, context) {
      const target = await confirmTarget(deps, grant, context, 'write', params.path);
      const dir = await openParent(target);
      let trashId: string;
      try {
        const st = await lstatEntry(dir, target.name, target.canonical);
        await dir.verify();
        const entry = await store.trash(dir.entry(target.name), {
          originalPath: target.canonical,
          type: fileTypeOf(st),
          size: st.size,
          sessionId: deps.link.sessionId,
          engineer: deps.link.engineer.email,
          requestId: context.requestId,
        });
        trashId = entry.id;
        await syncDirectory(dir.path);
      } finally {
        await dir.close();
      }
      await auditFile(deps, context, 'file.delete', { path: target.canonical, trashId });
      const result: FileChangeResult = { path: target.canonical, trashId };
      return result;
    },
  };
}
