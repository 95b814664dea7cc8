// The `fix.apply` handler: describe verifies the staged package and inspects
// the target without changing either, and builds the preview; execute
// applies exactly that package to exactly that target state.
import type { FixPreview } from '../../protocol/consent';
import { AssentError } from '../../protocol/errors';
import { FixApplyParams } from '../../protocol/fixes';
import type { ActionHandler } from '../actions/action-router';
import type { ActionDescription } from '../consent/action';
import { assertGrantFor } from '../consent/grant';
import { join } from 'node:path';
import { applyFix } from './apply';
import { approvedBy, trustOf, type FixDeps } from './fix-deps';
import { checkLine, PreviewFiles, readSmall } from './fix-preview';
import { fixTrust } from './fix-types';
import type { PackageReceiver } from './package-receiver';
import { loadRegistry } from './registry';
import { inspectTarget, targetDigest } from './target-state';
import { verifyFixPackage } from './verify';
import { warmFixWorkers } from './fix-worker-pool';

/** The `fix.apply` handler; packages come from the session's receiver. */
export function applyHandler(
  deps: FixDeps,
  receiver: PackageReceiver,
): ActionHandler<FixApplyParams> {
  return {
    params: FixApplyParams,
    async describe(params) {
      const staged = receiver.get(params);
      const registry = await loadRegistry(deps.dataDir);
      const verified = await verifyFixPackage(staged.file, fixTrust(trustOf(deps), registry), {
        keepSmallFiles: true,
      });
      if (verified.packageSha256 !== params.sha256)
        throw new AssentError(
          'FIX_UPLOAD_INVALID',
          'The staged package does not match the request.',
        );
      const m = verified.manifest;
      const target = await inspectTarget(m);
      // The apply, if approved, needs two workers: they start while the approver reads the prompt.
      warmFixWorkers();
      const files = new PreviewFiles();
      for (const [i, entry] of m.files.entries()) {
        const state = target.files[i]!;
        if (entry.op !== 'remove' && entry.size > deps.rules.maxWriteBytes)
          throw new AssentError(
            'CONSENT_DENIED_BY_RULE',
            `${entry.path} is larger than the ground rules allow.`,
            {
              details: {
                basis: {
                  source: 'ground-rules',
                  rule: `maxWriteBytes: ${entry.size} > ${deps.rules.maxWriteBytes}`,
                },
              },
            },
          );
        const before = state.exists
          ? {
              size: state.size!,
              sha256: state.sha256!,
              content: await readSmall(state.absolute, state.size),
            }
          : null;
        const after =
          entry.op === 'remove'
            ? null
            : {
                size: entry.size,
                sha256: entry.sha256,
                content: verified.contents.get(entry.path) ?? null,
              };
        files.add(entry.path, entry.op, before, after);
      }
      const fix: FixPreview = {
        id: m.id,
        product: m.product,
        fixKind: m.fixKind,
        description: m.description,
        ...(verified.fromVersion !== undefined ? { fromVersion: verified.fromVersion } : {}),
        toVersion: m.version,
        signer: verified.signer.name,
        signerFingerprint: verified.signer.fingerprint,
        targetRoot: m.targetRoot,
        files: files.files,
        checks: [
          ...(m.preCheck ? [{ phase: 'pre' as const, command: checkLine(m.preCheck) }] : []),
          ...(m.postCheck ? [{ phase: 'post' as const, command: checkLine(m.postCheck) }] : []),
        ],
        ...(m.supersedes !== undefined ? { supersedes: m.supersedes } : {}),
      };
      return {
        kind: 'fix.apply',
        target: m.id,
        params: {
          product: m.product,
          version: m.version,
          fromVersion: verified.fromVersion ?? null,
          targetRoot: m.targetRoot,
          manifestSha256: verified.manifestSha256,
          packageSize: verified.packageSize,
          signer: verified.signer.fingerprint,
          targetDigest: targetDigest(target),
        },
        contentHash: verified.packageSha256,
        match: { paths: m.files.map((f) => join(m.targetRoot, f.path)), product: m.product },
        preview: {
          kind: 'fix.apply',
          fix,
          details: {
            packageSize: verified.packageSize,
            payloadBytes: verified.payloadBytes,
            expiresAt: m.expiresAt,
            ...files.details(),
          },
        },
      } satisfies ActionDescription;
    },
    async execute(grant, params, context) {
      assertGrantFor(grant, context.action);
      const staged = receiver.get(params);
      try {
        return {
          ...(await applyFix({
            dataDir: deps.dataDir,
            packagePath: staged.file,
            expectedSha256: params.sha256,
            // describe verified the package that hashes to this in full (each file's sha256).
            verifiedSha256: context.action.contentHash,
            expectedTargetDigest: String(context.action.params['targetDigest']),
            trust: trustOf(deps),
            approvedBy: approvedBy(grant.basis, context.link),
            sessionId: context.link.sessionId,
            audit: deps.audit,
            signal: context.signal,
            progress: context.progress,
          })),
        };
      } finally {
        await receiver.discard(params.upload);
      }
    },
  };
}
