// Applies a verified fix (issue 5 "Applying"): stage into a work directory on
// the target's file system, run the pre-check, journal, keep every file it
// replaces or removes (hard link or rename into the work directory: no copy,
// same file system), swap new files in with atomic renames, run the
// post-check, record the fix; any failure after the journal restores the old
// files (hash-checked). A crash at any step is repaired by
// recoverFixJournal (recover.ts).
import type { AuditSink } from '../audit/audit-sink';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import type { FixApplyResult } from '../../protocol/fixes';
import { fileSystemError } from '../../platform/atomic-file';
import { requireCheck } from './checks';
import { EarlyFlush, makeDurable } from './durability';
import { withFixLock } from './fix-lock';
import { warmFixWorkers } from './fix-worker-pool';
import { fixTrust, type FixProgress, type FixStepHook, type FixTrustBase } from './fix-types';
import { clearJournal, restoreOld, writeJournal } from './journal';
import { recoverUnlocked } from './recover';
import { swapIn } from './swap';
import { precreateControl } from './fix-worker-protocol';
import { fixesDir, loadRegistry, saveRegistry, withInstalled, type InstalledFix } from './registry';
import { TARGET_WORK_DIR_NAME, hashTarget, inspectLayout, targetDigest } from './target-state';
import { verifyFixHeader, verifyFixPackage } from './verify';

export interface ApplyFixOptions {
  readonly dataDir: string;
  /** The package file (already received into the data dir). */
  readonly packagePath: string;
  /** The package sha256 the grant is bound to; the bytes read must hash to it. */
  readonly expectedSha256?: string;
  /**
   * The package sha256 of a verifyFixPackage this process ran before
   * consent (every file's size and sha256 checked): staging then does not
   * hash each file again, and the bytes read must hash to it
   * (FIX_UPLOAD_INVALID) before the journal (verify.ts `verifiedSha256`).
   */
  readonly verifiedSha256?: string;
  /** The targetDigest the approver saw; the target must still hold exactly that. */
  readonly expectedTargetDigest?: string;
  readonly trust: FixTrustBase;
  /** Who approved, for `fix list` (decision basis, approver, engineer). */
  readonly approvedBy: string;
  readonly sessionId?: string;
  readonly audit?: AuditSink;
  readonly signal?: AbortSignal;
  readonly progress?: FixProgress;
  readonly onStep?: FixStepHook;
}

/** Picks the work directory: in the data dir when it shares the target's file system, else inside the target root. */
export async function chooseWorkDir(
  dataDir: string,
  targetRoot: string,
  id: string,
): Promise<string> {
  const name = `${id}-${randomBytes(6).toString('hex')}`;
  const base = join(await fixesDir(dataDir), 'work');
  await fsp.mkdir(base, { recursive: true, mode: 0o700 });
  const [a, b] = await Promise.all([fsp.stat(base), fsp.stat(targetRoot)]);
  const parent = a.dev === b.dev ? base : join(targetRoot, TARGET_WORK_DIR_NAME);
  const dir = join(parent, name);
  await fsp.mkdir(join(dir, 'staged'), { recursive: true, mode: 0o700 });
  await fsp.mkdir(join(dir, 'backup'), { mode: 0o700 });
  return dir;
}

async function removeWorkDir(workDir: string): Promise<void> {
  await fsp.rm(workDir, { recursive: true, force: true });
  const parent = dirname(workDir);
  if (parent.endsWith(`/${TARGET_WORK_DIR_NAME}`)) await fsp.rmdir(parent).catch(() => undefined);
}

/** Verifies and applies a fix package; resolves when it is installed and recorded. */
export function applyFix(options: ApplyFixOptions): Promise<FixApplyResult> {
  // Staging needs two workers (the payload, the old files): they start while the header is checked.
  warmFixWorkers();
  return withFixLock(options.dataDir, () => applyUnlocked(options));
}

async function applyUnlocked(options: ApplyFixOptions): Promise<FixApplyResult> {
  const { dataDir, signal, audit } = options;
  const step = async (name: string) => {
    await options.onStep?.(name);
  };
  await recoverUnlocked(dataDir, audit);
  const registry = await loadRegistry(dataDir);
  const trust = fixTrust(options.trust, registry);
  const header = await verifyFixHeader(options.packagePath, trust, signal);
  const manifest = header.manifest;
  // The layout's conflicts (directories, files to add) are found before anything is written; the
  // files to replace or remove are checked and hashed below, in parallel with staging, by the
  // worker that creates the staged files ahead (hashTarget), and nothing reaches the target
  // before both have finished.
  const layout = await inspectLayout(manifest);
  const workDir = await chooseWorkDir(dataDir, manifest.targetRoot, manifest.id);
  let journaled = false;
  let record: InstalledFix | undefined;
  const stagedDir = join(workDir, 'staged');
  const flush = new EarlyFlush(stagedDir);
  // The hash job creates the staged files ahead while the payload worker fills them (creating a
  // file costs more than writing it); if the inspection fails, the payload worker stops.
  const toStage = manifest.files.flatMap((entry, i) =>
    entry.op === 'remove' ? [] : [join(stagedDir, String(i))],
  );
  const precreated = precreateControl(toStage.length);
  const inspectionFailed = new AbortController();
  try {
    const [verified, hashedTarget] = await settleBoth(
      verifyFixPackage(options.packagePath, trust, {
        stageDir: stagedDir,
        precreated,
        checkedHeader: header,
        ...(options.verifiedSha256 !== undefined ? { verifiedSha256: options.verifiedSha256 } : {}),
        signal: signal
          ? AbortSignal.any([signal, inspectionFailed.signal])
          : inspectionFailed.signal,
        progress: (done, total) => {
          flush.staged(done);
          options.progress?.(done, total, 'staging');
        },
      }),
      hashTarget(layout, { precreate: { paths: toStage, control: precreated } }).catch(
        (err: unknown) => {
          inspectionFailed.abort(err);
          throw err;
        },
      ),
    );
    if (
      options.expectedTargetDigest !== undefined &&
      targetDigest(hashedTarget) !== options.expectedTargetDigest
    )
      throw new AssentError(
        'FIX_TARGET_CHANGED',
        'The target files changed since the fix was approved; ask again.',
      );
    if (verified.manifestSha256 !== header.manifestSha256)
      throw new AssentError('FIX_PACKAGE_INVALID', 'The fix package changed while it was applied.');
    if (options.expectedSha256 !== undefined && verified.packageSha256 !== options.expectedSha256)
      throw new AssentError(
        'FIX_UPLOAD_INVALID',
        'The fix package is not the one that was approved.',
      );
    // Staged bytes and names must be durable before the journal can point at them and a rename
    // can expose them: one syncfs of their file system, or an fsync each (durability.ts). The
    // syncfs starts at once, beside an early flush still running; if that flush failed, every
    // file is fsynced as well.
    const stagedPaths = { files: [...verified.staged.values()], dirs: [stagedDir] };
    const [, flushed] = await Promise.all([makeDurable(stagedDir, stagedPaths), flush.settle()]);
    if (!flushed) await makeDurable(stagedDir, stagedPaths, { fsyncEach: true });
    await step('staged');
    await requireCheck('pre', manifest.preCheck, manifest, signal);
    await step('pre-checked');

    record = {
      id: manifest.id,
      product: manifest.product,
      version: manifest.version,
      fixKind: manifest.fixKind,
      description: manifest.description,
      targetRoot: manifest.targetRoot,
      workDir,
      createdDirs: [...hashedTarget.createDirs],
      installedAt: new Date().toISOString(),
      approvedBy: options.approvedBy,
      signer: verified.signer.name,
      signerFingerprint: verified.signer.fingerprint,
      packageSha256: verified.packageSha256,
      manifestSha256: verified.manifestSha256,
      files: manifest.files.map((entry, i) => ({
        path: entry.path,
        op: entry.op,
        oldSha256: hashedTarget.files[i]!.sha256 ?? null,
        newSha256: entry.op === 'remove' ? null : entry.sha256,
        backup: entry.op === 'add' ? null : join(workDir, 'backup', String(i)),
        staged: entry.op === 'remove' ? null : verified.staged.get(i)!,
      })),
      status: 'active',
      ...(manifest.supersedes !== undefined ? { supersedes: manifest.supersedes } : {}),
    };
    signal?.throwIfAborted();
    await writeJournal(dataDir, {
      v: 1,
      op: 'apply',
      phase: 'prepared',
      fix: record,
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    });
    journaled = true;
    await step('journal-written');
    await swapIn(record, signal, options.progress, step);
    await writeJournal(dataDir, { v: 1, op: 'apply', phase: 'swapped', fix: record });
    await step('swapped');
    await requireCheck('post', manifest.postCheck, manifest, signal);
    await step('post-checked');
    // The registry read at the start is still the one on disk: every writer holds the fix lock.
    await saveRegistry(dataDir, withInstalled(registry, record));
    await step('registry-written');
    await writeJournal(dataDir, { v: 1, op: 'apply', phase: 'committed', fix: record });
    await step('committed');
  } catch (err) {
    // No early flush is still running when the work directory is removed.
    await flush.settle();
    if (journaled && record) {
      await restoreOld(record);
      await clearJournal(dataDir);
    }
    await removeWorkDir(workDir);
    await audit?.append({
      type: 'fix.apply-failed',
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
      actor: 'agent',
      data: {
        id: manifest.id,
        version: manifest.version,
        code: err instanceof AssentError ? err.code : 'IO_FAILED',
        restored: journaled,
      },
    });
    if (err instanceof AssentError || signal?.aborted) throw err;
    throw journaled
      ? new AssentError(
          'FIX_ROLLED_BACK',
          `Applying ${manifest.id} failed and it was rolled back.`,
          { cause: err },
        )
      : fileSystemError(err, `applying ${manifest.id}`);
  }
  await fsp.rm(join(workDir, 'staged'), { recursive: true, force: true });
  await clearJournal(dataDir);
  await step('cleaned');
  const result: FixApplyResult = {
    id: manifest.id,
    product: manifest.product,
    version: manifest.version,
    ...(header.fromVersion !== undefined ? { fromVersion: header.fromVersion } : {}),
    filesChanged: manifest.files.length,
    bytesWritten: manifest.files.reduce((n, f) => n + (f.op === 'remove' ? 0 : f.size), 0),
    ...(manifest.supersedes !== undefined ? { supersedes: manifest.supersedes } : {}),
  };
  await audit?.append({
    type: 'fix.applied',
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    actor: 'agent',
    data: {
      ...result,
      packageSha256: record.packageSha256,
      manifestSha256: record.manifestSha256,
      signer: record.signerFingerprint,
      approvedBy: record.approvedBy,
    },
  });
  if (manifest.supersedes !== undefined)
    await audit?.append({
      type: 'fix.superseded',
      actor: 'agent',
      data: { id: manifest.supersedes, by: manifest.id },
    });
  return result;
}

/** Both results, or the first failure once both have finished (nothing keeps writing after a failure). */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}
