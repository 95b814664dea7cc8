// The `fix.rollback` handler: describe checks the fix can be rolled back and
// previews the files as they will be restored; execute rolls back exactly
// the installed package the approver saw.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { FixPreview } from '../../protocol/consent';
import { AssentError } from '../../protocol/errors';
import { FixRollbackParams } from '../../protocol/fixes';
import type { ActionHandler } from '../actions/action-router';
import type { ActionDescription } from '../consent/action';
import { assertGrantFor } from '../consent/grant';
import { approvedBy, type FixDeps } from './fix-deps';
import { PreviewFiles, readSmall, type ChangeSide } from './fix-preview';
import { installedVersion, loadRegistry } from './registry';
import { rollbackCandidate, rollbackFix } from './rollback';

/** Size and (small) content of a file whose hash is known. */
async function sideOf(path: string, sha256: string): Promise<ChangeSide> {
  const { size } = await fsp.stat(path);
  return { size, sha256, content: await readSmall(path, size) };
}

/** The `fix.rollback` handler. */
export function rollbackHandler(deps: FixDeps): ActionHandler<FixRollbackParams> {
  return {
    params: FixRollbackParams,
    async describe(params) {
      const fix = await rollbackCandidate(deps.dataDir, params.id);
      const registry = await loadRegistry(deps.dataDir);
      const previous = installedVersion(
        { v: 1, fixes: registry.fixes.filter((f) => f.id !== fix.id) },
        fix.product,
      );
      const files = new PreviewFiles();
      for (const file of fix.files) {
        const absolute = join(fix.targetRoot, file.path);
        const op = file.op === 'add' ? 'remove' : file.op === 'remove' ? 'add' : 'replace';
        const now = file.newSha256 === null ? null : await sideOf(absolute, file.newSha256);
        const old =
          file.oldSha256 === null || file.backup === null
            ? null
            : await sideOf(file.backup, file.oldSha256);
        files.add(file.path, op, now, old);
      }
      const preview: FixPreview = {
        id: fix.id,
        product: fix.product,
        fixKind: fix.fixKind,
        description: fix.description,
        fromVersion: fix.version,
        toVersion: previous ?? 'none',
        signer: fix.signer,
        signerFingerprint: fix.signerFingerprint,
        targetRoot: fix.targetRoot,
        files: files.files,
        checks: [],
        ...(fix.supersedes !== undefined ? { supersedes: fix.supersedes } : {}),
        rollback: true,
      };
      return {
        kind: 'fix.rollback',
        target: fix.id,
        params: {
          product: fix.product,
          version: fix.version,
          packageSha256: fix.packageSha256,
          targetRoot: fix.targetRoot,
        },
        match: { paths: fix.files.map((f) => join(fix.targetRoot, f.path)), product: fix.product },
        preview: {
          kind: 'fix.rollback',
          fix: preview,
          details: { installedAt: fix.installedAt, ...files.details() },
        },
      } satisfies ActionDescription;
    },
    async execute(grant, params, context) {
      assertGrantFor(grant, context.action);
      const fix = await rollbackCandidate(deps.dataDir, params.id);
      if (fix.packageSha256 !== context.action.params['packageSha256'])
        throw new AssentError(
          'FIX_TARGET_CHANGED',
          'The installed fix changed since the rollback was approved.',
        );
      return {
        ...(await rollbackFix({
          dataDir: deps.dataDir,
          id: params.id,
          by: approvedBy(grant.basis, context.link),
          sessionId: context.link.sessionId,
          audit: deps.audit,
          signal: context.signal,
          progress: context.progress,
        })),
      };
    },
  };
}
