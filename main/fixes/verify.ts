// Verifies a fix package before anything touches the target (issue 5, the
// attacks The Update Framework names): arbitrary package (release
// signature), untrusted signer (ground rules `fixSigners`), rollback (version
// not newer than installed), freeze (expired), wrong target (binding),
// mix-and-match (the signed manifest covers every payload file, with its
// size and hash, and nothing else) and endless data (sizes enforced while
// reading). With `stageDir` the payload is also written there, file by file,
// under names chosen by the agent (the manifest index), never by the archive.
import { createHash } from 'node:crypto';
import { AssentError } from '../../protocol/errors';
import { MAX_FIX_DIFF_SOURCE_BYTES, type FixManifest } from '../../protocol/fixes';
import {
  CONTROL_ABORT,
  CONTROL_SLOTS,
  PRECREATE_STOP,
  type PayloadDone,
  type PayloadEntry,
  type PayloadFromWorker,
} from './fix-worker-protocol';
import { runFixJob } from './fix-worker-pool';
import { hashRing, packageRing, wakeRing } from './package-ring';
import { checkManifest, checkSignature, type FixSigner, type FixTrust } from './manifest-checks';
import { readFixPackage } from './package-reader';

/** Total bytes of new file contents kept in memory for preview diffs. */
const MAX_KEPT_TEXT_BYTES = 8 * 1024 * 1024;

export type { FixTrust } from './manifest-checks';

/** A package that passed every check. */
export interface VerifiedFix {
  readonly manifest: FixManifest;
  readonly manifestSha256: string;
  readonly signer: FixSigner;
  readonly packageSha256: string;
  readonly packageSize: number;
  /** Sum of payload sizes. */
  readonly payloadBytes: number;
  readonly fromVersion: string | undefined;
  /** New contents of small files, by path (for diffs), when `keepSmallFiles` was asked. */
  readonly contents: ReadonlyMap<string, Buffer>;
  /** Staged file of each manifest index (add/replace), when `stageDir` was given. */
  readonly staged: ReadonlyMap<number, string>;
}

export interface VerifyOptions {
  /** Write each payload file to `<stageDir>/<index>` while verifying (not fsynced: the caller makes them durable at once). */
  readonly stageDir?: string;
  readonly keepSmallFiles?: boolean;
  /**
   * With `stageDir`: the staged files are created ahead, empty, by a hash
   * job given the same array (PRECREATE_* slots; target-state.ts
   * `precreate`); when this verification fails, that job is told to stop.
   */
  readonly precreated?: SharedArrayBuffer;
  readonly signal?: AbortSignal;
  /** Called after each payload file with bytes so far and the total. */
  readonly progress?: (done: number, total: number) => void;
  /**
   * A header verifyFixHeader checked moments ago (apply): when the package
   * still holds exactly its manifest and signature bytes, its checks are not
   * run again while the worker waits for the answer.
   */
  readonly checkedHeader?: CheckedHeader;
  /**
   * The package sha256 of an earlier verifyFixPackage in this process that
   * checked every payload file's size and sha256 against the signed
   * manifest (the agent's describe, before the approver was asked). The
   * package must hash to it again, else FIX_UPLOAD_INVALID; each file's
   * sha256 is then not computed again: the same package bytes hold the same
   * manifest and the same files (SHA-256 collision resistance). Sizes,
   * listing and the header are still checked while reading. Until this
   * resolves, what was staged is unchecked: the caller must not let it reach
   * the target before (apply: the staging directory is removed on failure).
   */
  readonly verifiedSha256?: string;
}

type Header = Pick<VerifiedFix, 'manifest' | 'manifestSha256' | 'signer' | 'fromVersion'>;

/** A header that passed its checks, with the bytes they were run on. */
export interface CheckedHeader extends Header {
  readonly checkedBytes: { readonly manifest: Buffer; readonly signature: Buffer };
}

/** The signature, signer and manifest checks of a package's header. */
function checkHeader(manifestBytes: Buffer, signatureBytes: Buffer, trust: FixTrust): Header {
  const checked = checkSignature(manifestBytes, signatureBytes, trust);
  const { fromVersion } = checkManifest(checked.manifest, trust);
  return {
    manifest: checked.manifest,
    signer: checked.signer,
    fromVersion,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
  };
}

const asBuffer = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Reads and verifies a whole package; throws an AssentError with the first
 * reason it is refused. The header is checked here, and the whole package
 * hashed from the chunks the fix worker reads (package-ring.ts); the payload
 * is read, checked against the signed manifest and staged by the worker
 * (payload-job.ts). Settles only once the worker has
 * stopped: after a failure nothing still writes into `stageDir`.
 */
export async function verifyFixPackage(
  file: string,
  trust: FixTrust,
  options: VerifyOptions = {},
): Promise<VerifiedFix> {
  let header: Header | undefined;
  let headerError: unknown;
  let payloadBytes = 0;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const abort = () => Atomics.store(control, CONTROL_ABORT, 1);
  const signal = options.signal;
  signal?.throwIfAborted();
  signal?.addEventListener('abort', abort, { once: true });
  // The main thread hashes the package from the chunks the worker reads, while the worker parses.
  const ring = packageRing();
  let settled = false;
  const packageHash = hashRing(ring, () => settled);
  let done: PayloadDone;
  try {
    done = await runFixJob<PayloadDone>(
      {
        kind: 'payload',
        file,
        stageDir: options.stageDir,
        fileHashes: options.verifiedSha256 === undefined,
        keep: options.keepSmallFiles
          ? { fileBytes: MAX_FIX_DIFF_SOURCE_BYTES, totalBytes: MAX_KEPT_TEXT_BYTES }
          : undefined,
        control: control.buffer as SharedArrayBuffer,
        ring,
        precreated: options.stageDir !== undefined ? options.precreated : undefined,
      },
      (raw, reply) => {
        const message = raw as PayloadFromWorker;
        if (message.t === 'file') {
          options.progress?.(message.done, message.total);
        } else if (message.t === 'header') {
          try {
            const manifest = asBuffer(message.manifest);
            const signature = asBuffer(message.signature);
            const known = options.checkedHeader;
            header =
              known?.checkedBytes.manifest.equals(manifest) &&
              known.checkedBytes.signature.equals(signature)
                ? {
                    manifest: known.manifest,
                    manifestSha256: known.manifestSha256,
                    signer: known.signer,
                    fromVersion: known.fromVersion,
                  }
                : checkHeader(manifest, signature, trust);
          } catch (err) {
            headerError = err;
            reply({ t: 'stop' });
            return;
          }
          const entries: PayloadEntry[] = [];
          header.manifest.files.forEach((entry, index) => {
            if (entry.op === 'remove') return;
            payloadBytes += entry.size;
            entries.push({
              index,
              path: entry.path,
              size: entry.size,
              sha256: entry.sha256,
              mode: entry.mode,
            });
          });
          reply({ t: 'entries', entries });
        }
      },
    );
  } catch (err) {
    if (options.precreated) Atomics.store(new Int32Array(options.precreated), PRECREATE_STOP, 1);
    signal?.throwIfAborted();
    throw headerError ?? err;
  } finally {
    settled = true;
    wakeRing(ring);
    signal?.removeEventListener('abort', abort);
  }
  const hashed = await packageHash;
  signal?.throwIfAborted();
  if (!header) throw new AssentError('FIX_PACKAGE_INVALID', 'The fix package has no manifest.');
  if (hashed?.size !== done.size)
    throw new AssentError('FIX_PACKAGE_INVALID', 'The fix package changed while it was read.');
  if (options.verifiedSha256 !== undefined && hashed.sha256 !== options.verifiedSha256)
    throw new AssentError(
      'FIX_UPLOAD_INVALID',
      'The fix package is not the one verified before it was approved.',
    );
  return {
    ...header,
    packageSha256: hashed.sha256,
    packageSize: done.size,
    payloadBytes,
    contents: new Map(done.kept.map(([path, bytes]) => [path, asBuffer(bytes)])),
    staged: new Map(done.staged),
  };
}

/** Verifies only the signed header of a package (signature, signer, manifest checks); the payload is not read. */
export async function verifyFixHeader(
  file: string,
  trust: FixTrust,
  signal?: AbortSignal,
): Promise<CheckedHeader> {
  let result: CheckedHeader | undefined;
  signal?.throwIfAborted();
  await readFixPackage(
    file,
    {
      header(manifest, signature) {
        result = {
          ...checkHeader(manifest, signature, trust),
          checkedBytes: { manifest, signature },
        };
      },
      payload() {
        throw new TypeError('headerOnly read reached the payload');
      },
    },
    { headerOnly: true },
  );
  if (!result) throw new AssentError('FIX_PACKAGE_INVALID', 'The fix package has no manifest.');
  return result;
}
