// Verifies a fix package before anything touches the target (issue 5, the
// attacks The Update Framework names): arbitrary package (release
// signature), untrusted signer (ground rules `fixSigners`), rollback (version
// not newer than installed), freeze (expired), wrong target (binding),
// mix-and-match (the signed manifest covers every payload file, with its
// size and hash, and nothing else) and endless data (sizes enforced while
// reading). With `stageDir` the payload is also written there, file by file,
// under names chosen by the agent (the manifest index), never by the archive.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import {
  MAX_FIX_DIFF_SOURCE_BYTES,
  type FixFileEntry,
  type FixManifest,
} from '../../protocol/fixes';
import { checkManifest, checkSignature, type FixSigner, type FixTrust } from './manifest-checks';
import { readFixPackage } from './package-reader';
import { StageWriter, type StageSink } from './stage-writer';

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
  readonly signal?: AbortSignal;
  /** Called after each payload file with bytes so far and the total. */
  readonly progress?: (done: number, total: number) => void;
}

async function consume(
  chunks: AsyncIterable<Buffer>,
  entry: Extract<FixFileEntry, { op: 'add' | 'replace' }>,
  sink: StageSink | undefined,
  keep: Buffer[] | undefined,
): Promise<void> {
  const hash = createHash('sha256');
  let count = 0;
  for await (const chunk of chunks) {
    count += chunk.length;
    if (count > entry.size)
      throw new AssentError(
        'FIX_HASH_MISMATCH',
        `${entry.path} is larger than the ${entry.size} bytes the manifest declares.`,
      );
    hash.update(chunk);
    keep?.push(chunk);
    if (sink) await sink.write(chunk);
  }
  if (count !== entry.size)
    throw new AssentError(
      'FIX_HASH_MISMATCH',
      `${entry.path} has ${count} bytes, the manifest declares ${entry.size}.`,
    );
  if (hash.digest('hex') !== entry.sha256)
    throw new AssentError(
      'FIX_HASH_MISMATCH',
      `${entry.path} does not match its hash in the signed manifest.`,
    );
}

/** Reads and verifies a whole package; throws an AssentError with the first reason it is refused. */
export async function verifyFixPackage(
  file: string,
  trust: FixTrust,
  options: VerifyOptions = {},
): Promise<VerifiedFix> {
  let manifest: FixManifest | undefined;
  let manifestSha256 = '';
  let signer: FixSigner | undefined;
  let fromVersion: string | undefined;
  let byPath = new Map<
    string,
    { index: number; entry: Extract<FixFileEntry, { op: 'add' | 'replace' }> }
  >();
  const seen = new Set<string>();
  const contents = new Map<string, Buffer>();
  const staged = new Map<number, string>();
  let kept = 0;
  let done = 0;
  let total = 0;

  const writer = options.stageDir !== undefined ? new StageWriter() : undefined;
  const reading = readFixPackage(
    file,
    {
      header(manifestBytes, signatureBytes) {
        const checked = checkSignature(manifestBytes, signatureBytes!, trust);
        manifest = checked.manifest;
        signer = checked.signer;
        manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
        fromVersion = checkManifest(manifest, trust).fromVersion;
        byPath = new Map();
        manifest.files.forEach((entry, index) => {
          if (entry.op !== 'remove') {
            byPath.set(entry.path, { index, entry });
            total += entry.size;
          }
        });
      },
      async payload(path, size, chunks) {
        const listed = byPath.get(path);
        if (seen.has(path))
          throw new AssentError(
            'FIX_PATH_UNSAFE',
            `The archive holds ${JSON.stringify(path)} twice.`,
            { details: { path, why: 'duplicate' } },
          );
        if (!listed)
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `The payload holds ${JSON.stringify(path)}, which the signed manifest does not list for adding or replacing.`,
          );
        if (size !== listed.entry.size)
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `${path} is ${size} bytes in the archive, the manifest declares ${listed.entry.size}.`,
          );
        seen.add(path);
        const keep =
          options.keepSmallFiles &&
          size <= MAX_FIX_DIFF_SOURCE_BYTES &&
          kept + size <= MAX_KEPT_TEXT_BYTES
            ? []
            : undefined;
        if (writer && options.stageDir) {
          const target = join(options.stageDir, String(listed.index));
          await writer.stage(target, listed.entry.mode, (sink) =>
            consume(chunks, listed.entry, sink, keep),
          );
          staged.set(listed.index, target);
        } else {
          await consume(chunks, listed.entry, undefined, keep);
        }
        if (keep) {
          kept += size;
          contents.set(path, Buffer.concat(keep));
        }
        done += size;
        options.progress?.(done, total);
      },
    },
    { signal: options.signal },
  );
  let digest: Awaited<typeof reading>;
  try {
    digest = await reading;
    await writer?.finish();
  } catch (err) {
    // Nothing may still be writing into the stage directory when the caller removes it.
    await writer?.settle();
    throw err;
  }
  if (!manifest || !signer || !digest)
    throw new AssentError('FIX_PACKAGE_INVALID', 'The fix package has no manifest.');
  const missing = [...byPath.keys()].filter((p) => !seen.has(p));
  if (missing.length > 0)
    throw new AssentError(
      'FIX_HASH_MISMATCH',
      `The payload lacks ${missing.length} file(s) the manifest lists, e.g. ${JSON.stringify(missing[0])}.`,
    );
  return {
    manifest,
    manifestSha256,
    signer,
    packageSha256: digest.sha256,
    packageSize: digest.size,
    payloadBytes: total,
    fromVersion,
    contents,
    staged,
  };
}

/** Verifies only the signed header of a package (signature, signer, manifest checks); the payload is not read. */
export async function verifyFixHeader(
  file: string,
  trust: FixTrust,
  signal?: AbortSignal,
): Promise<Pick<VerifiedFix, 'manifest' | 'manifestSha256' | 'signer' | 'fromVersion'>> {
  let result:
    Pick<VerifiedFix, 'manifest' | 'manifestSha256' | 'signer' | 'fromVersion'> | undefined;
  await readFixPackage(
    file,
    {
      header(manifestBytes, signatureBytes) {
        const checked = checkSignature(manifestBytes, signatureBytes!, trust);
        const { fromVersion } = checkManifest(checked.manifest, trust);
        result = {
          manifest: checked.manifest,
          signer: checked.signer,
          fromVersion,
          manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
        };
      },
      payload: () => Promise.reject(new TypeError('headerOnly read reached the payload')),
    },
    { signal, headerOnly: true },
  );
  if (!result) throw new AssentError('FIX_PACKAGE_INVALID', 'The fix package has no manifest.');
  return result;
}
