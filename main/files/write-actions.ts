// file.write and file.edit (issue 3). The content was staged before the
// request (upload-stager.ts), so `describe` can show the real change: a
// unified diff for text, sizes and hashes for binary; the digest binds the
// content hash. Edits name the hash of the version they were made on and
// are refused with FILE_CHANGED when the file changed since.
import { promises as fsp } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import {
  FileEditParams,
  FileWriteParams,
  MAX_DIFF_INPUT_BYTES,
  type FileWriteResult,
} from '../../protocol/files';
import { describeChange } from './change-preview';
import { hashOpenedFile } from './file-hash';
import type { ActionHandler, ExecuteContext } from '../actions/action-router';
import type { Grant } from '../consent/grant';
import type { FileDeps } from './file-handler';
import { assertAbsent, auditFile, confirmTarget, resolveFor } from './file-target';
import type { KeptStore } from './kept-store';
import { replaceContent, type ReplaceOptions, type ReplaceResult } from './replace-content';
import { openParent, openRegularFile, type ResolvedPath } from './safe-path';
import type { StagedUpload, UploadStager } from './upload-stager';
import { pathDisplay } from './visible-path';

/** What a write or edit request says about its staged upload. */
interface StagedParams {
  readonly upload: number;
  readonly size: number;
  readonly sha256: string;
}

/** Shared parts of the write and edit handlers. */
export interface WriteParts {
  readonly deps: FileDeps;
  readonly stager: UploadStager;
  readonly store: KeptStore;
}

function assertWriteSize(deps: FileDeps, size: number): void {
  if (size > deps.rules.maxWriteBytes)
    throw new AssentError(
      'FILE_TOO_LARGE',
      `${size} bytes is more than maxWriteBytes (${deps.rules.maxWriteBytes}).`,
    );
}

async function smallContent(file: string, size: number): Promise<Buffer | null> {
  return size <= MAX_DIFF_INPUT_BYTES ? fsp.readFile(file) : null;
}

function keptFor(deps: FileDeps, context: ExecuteContext) {
  return {
    sessionId: deps.link.sessionId,
    engineer: deps.link.engineer.email,
    requestId: context.requestId,
  };
}

/** The staged upload a request names (within the write limit). */
function stagedFor({ deps, stager }: WriteParts, params: StagedParams): StagedUpload {
  assertWriteSize(deps, params.size);
  return stager.find(params.upload, params.size, params.sha256);
}

/** The "after" side of the change preview: the staged content. */
async function afterOf(staged: StagedUpload, params: StagedParams) {
  return {
    facts: { size: params.size, sha256: params.sha256 },
    content: await smallContent(staged.file, params.size),
  };
}

/** What write and edit execute share: the granted target, the staged upload put in place atomically (then discarded). */
async function writeStaged(
  parts: WriteParts,
  grant: Grant,
  params: StagedParams & { readonly path: string },
  context: ExecuteContext,
  mode: Pick<ReplaceOptions, 'createOnly' | 'mustExist' | 'baseSha256'>,
): Promise<{ target: ResolvedPath; written: ReplaceResult }> {
  const { deps, stager, store } = parts;
  const target = await confirmTarget(deps, grant, context, 'write', params.path);
  const staged = stagedFor(parts, params);
  const dir = await openParent(target);
  let written;
  try {
    written = await replaceContent(store, dir, target.name, target.canonical, staged.file, {
      signal: context.signal,
      ...mode,
      consume: { size: params.size, sha256: params.sha256 },
      hooks: deps.writeHooks,
      keptFor: keptFor(deps, context),
    });
  } finally {
    await dir.close();
  }
  await stager.discard(params.upload);
  return { target, written };
}

/** file.write: a new file (FILE_EXISTS when something is at the path). */
export function writeHandler(parts: WriteParts): ActionHandler<FileWriteParams> {
  const { deps } = parts;
  return {
    params: FileWriteParams,
    async describe(params) {
      const staged = stagedFor(parts, params);
      const target = await resolveFor(deps, 'write', params.path);
      if (target.name === '')
        throw new AssentError('FILE_EXISTS', `${target.canonical} is a root directory.`);
      await assertAbsent(target);
      const after = await afterOf(staged, params);
      return {
        kind: 'file.write',
        target: target.canonical,
        params: { size: params.size },
        contentHash: params.sha256,
        match: { paths: [target.canonical] },
        preview: {
          kind: 'file.write',
          path: pathDisplay(target.canonical),
          file: { size: params.size, sha256: params.sha256, type: 'file' },
          change: describeChange(target.name, null, after),
        },
      };
    },
    async execute(grant, params, context) {
      const { target, written } = await writeStaged(parts, grant, params, context, {
        createOnly: true,
      });
      if (written.sha256 !== params.sha256)
        throw new AssentError(
          'FILE_UPLOAD_INVALID',
          'The staged content changed before it was written.',
        );
      context.progress(written.bytes, params.size, 'written');
      await auditFile(deps, context, 'file.write', {
        path: target.canonical,
        size: written.bytes,
        sha256: written.sha256,
      });
      const result: FileWriteResult = {
        path: target.canonical,
        size: written.bytes,
        sha256: written.sha256,
      };
      return result;
    },
  };
}

/** file.edit: replaces a file whose current hash is the base the engineer edited; keeps a backup. */
export function editHandler(parts: WriteParts): ActionHandler<FileEditParams> {
  const { deps } = parts;
  return {
    params: FileEditParams,
    async describe(params) {
      const staged = stagedFor(parts, params);
      const target = await resolveFor(deps, 'write', params.path);
      const dir = await openParent(target);
      let before;
      try {
        const { handle, stat } = await openRegularFile(dir, target.name || '.', target.canonical);
        try {
          const hashed = await hashOpenedFile(handle, MAX_DIFF_INPUT_BYTES);
          before = {
            facts: { size: stat.size, sha256: hashed.sha256, modifiedAt: stat.mtime.toISOString() },
            content: hashed.content,
          };
        } finally {
          await handle.close();
        }
      } finally {
        await dir.close();
      }
      if (before.facts.sha256 !== params.baseSha256)
        throw new AssentError(
          'FILE_CHANGED',
          `${target.canonical} changed since the version the edit is based on.`,
          {
            details: { path: target.canonical, current: before.facts.sha256 },
          },
        );
      const after = await afterOf(staged, params);
      return {
        kind: 'file.edit',
        target: target.canonical,
        params: { size: params.size, baseSha256: params.baseSha256 },
        contentHash: params.sha256,
        match: { paths: [target.canonical] },
        preview: {
          kind: 'file.edit',
          path: pathDisplay(target.canonical),
          file: { size: params.size, sha256: params.sha256, type: 'file' },
          change: describeChange(target.name, before, after),
        },
      };
    },
    async execute(grant, params, context) {
      const { target, written } = await writeStaged(parts, grant, params, context, {
        mustExist: true,
        baseSha256: params.baseSha256,
      });
      context.progress(written.bytes, params.size, 'written');
      await auditFile(deps, context, 'file.edit', {
        path: target.canonical,
        size: written.bytes,
        sha256: written.sha256,
        baseSha256: params.baseSha256,
        backupId: written.backup?.id ?? null,
      });
      const result: FileWriteResult = {
        path: target.canonical,
        size: written.bytes,
        sha256: written.sha256,
        ...(written.backup ? { backupId: written.backup.id } : {}),
      };
      return result;
    },
  };
}
