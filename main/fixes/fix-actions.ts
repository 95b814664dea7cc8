// The fix domain of one session (issue 5): `fix.apply` and `fix.rollback`
// handlers for the action router, and the `fix.upload` message handler that
// stages packages before a request. `describe` verifies the whole package
// and inspects the target without changing either; the grant's digest binds
// the package hash and the target's current hashes, so what runs is exactly
// what the approver saw.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { DecisionBasis, FixPreview } from '../../protocol/consent';
import { AssentError } from '../../protocol/errors';
import { FixApplyParams, FixRollbackParams } from '../../protocol/fixes';
import type { GroundRules } from '../../protocol/ground-rules';
import type { ChannelMessage } from '../../protocol/wire/messages';
import type { ActionHandler, ActionRouter } from '../actions/action-router';
import type { ActionDescription } from '../consent/action';
import { assertGrantFor } from '../consent/grant';
import type { PeerLink } from '../session/peer-link';
import { applyFix } from './apply';
import { checkLine, PreviewFiles, readSmall, type ChangeSide } from './fix-preview';
import { fixTrust, type FixAuditSink, type FixTrustBase } from './fix-types';
import { PackageReceiver } from './package-receiver';
import { installedVersion, loadRegistry } from './registry';
import { rollbackCandidate, rollbackFix } from './rollback';
import { inspectTarget, targetDigest } from './target-state';
import { verifyFixPackage } from './verify';

/** What registerFixActions needs (EffectiveRules satisfies `rules`). */
export interface FixDeps {
  readonly dataDir: string;
  readonly link: PeerLink;
  readonly rules: {
    readonly maxWriteBytes: number;
    readonly rules: Pick<GroundRules, 'fixSigners' | 'customer'>;
  };
  readonly audit: FixAuditSink;
  /** This agent's device public key (raw Ed25519, base64url): device-bound fixes must name it. */
  readonly deviceKey: string;
  /** This agent's version (semver), compared with a fix's minAgentVersion. */
  readonly agentVersion: string;
  readonly now?: () => Date;
}

/** The fix domain of one session. */
export interface FixDomain {
  /** Handles a fix-domain message from the engineer (`fix.upload`); false when the message is not one. */
  handleMessage(message: ChannelMessage): boolean;
  /** Deletes staged packages (also done when the link's signal aborts). */
  close(): Promise<void>;
}

function trustOf(deps: FixDeps): FixTrustBase {
  return {
    signers: deps.rules.rules.fixSigners,
    customer: deps.rules.rules.customer,
    deviceKey: deps.deviceKey,
    agentVersion: deps.agentVersion,
    ...(deps.now ? { now: deps.now } : {}),
  };
}

/** "who approved", as `fix list` shows it. */
function approvedBy(basis: DecisionBasis, link: PeerLink): string {
  const rule = basis.rule ? ` (${basis.rule})` : '';
  let engineer = '';
  try {
    engineer = `; requested by ${link.engineer.name} <${link.engineer.email}>`;
  } catch {
    engineer = '';
  }
  return `${basis.source}${rule}${engineer}`.slice(0, 500);
}

function applyHandler(deps: FixDeps, receiver: PackageReceiver): ActionHandler<FixApplyParams> {
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

/** Size and (small) content of a file whose hash is known. */
async function sideOf(path: string, sha256: string): Promise<ChangeSide> {
  const { size } = await fsp.stat(path);
  return { size, sha256, content: await readSmall(path, size) };
}

function rollbackHandler(deps: FixDeps): ActionHandler<FixRollbackParams> {
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

/** Registers `fix.apply` and `fix.rollback`; call once per accepted session and route `fix.upload` to handleMessage. */
export function registerFixActions(
  router: Pick<ActionRouter, 'register'>,
  deps: FixDeps,
): FixDomain {
  const receiver = new PackageReceiver({ dataDir: deps.dataDir, link: deps.link });
  router.register('fix.apply', applyHandler(deps, receiver));
  router.register('fix.rollback', rollbackHandler(deps));
  return {
    handleMessage(message) {
      if (message.type !== 'fix.upload') return false;
      receiver.begin(message).catch((err: unknown) => {
        if (deps.link.signal.aborted) return;
        deps.link.send({
          type: 'fix.upload-done',
          upload: message.upload,
          ok: false,
          code: 'IO_FAILED',
          message: `The fix package could not be staged (${(err as Error).message}).`.slice(
            0,
            2000,
          ),
        });
      });
      return true;
    },
    close: () => receiver.close(),
  };
}
