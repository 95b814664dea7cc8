// Verifies a fix package before anything touches the target (issue 5, the
// attacks The Update Framework names): arbitrary package (release
// signature), untrusted signer (ground rules `fixSigners`), rollback (version
// not newer than installed), freeze (expired), wrong target (binding),
// mix-and-match (the signed manifest covers every payload file, with its
// size and hash, and nothing else) and endless data (sizes enforced while
// reading). With `stageDir` the payload is also written there, file by file,
// under names chosen by the agent (the manifest index), never by the archive.
import { createHash } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { AssentError } from '../../protocol/errors';
import {
  FixManifest,
  FixSignature,
  MAX_FIX_DIFF_SOURCE_BYTES,
  compareSemVer,
  type FixFileEntry,
} from '../../protocol/fixes';
import { SIGNING_DOMAINS } from '../../protocol/identity';
import { fileSystemError } from '../../platform/atomic-file';
import { keyFingerprint, verifyPayload } from '../../platform/signing';
import { checkFixPathSet } from './fix-paths';
import { readFixPackage } from './package-reader';

/** Total bytes of new file contents kept in memory for preview diffs. */
const MAX_KEPT_TEXT_BYTES = 8 * 1024 * 1024;

/** What the agent trusts and knows when it checks a package. */
export interface FixTrust {
  /** Release keys the ground rules allow (raw Ed25519, base64url). */
  readonly signers: readonly { readonly name: string; readonly publicKey: string }[];
  /** This agent's device public key (for device-bound fixes). */
  readonly deviceKey?: string | undefined;
  /** The customer named in the ground rules in force (for customer-bound fixes). */
  readonly customer?: string | undefined;
  /** This agent's version. */
  readonly agentVersion: string;
  /** Highest installed version of a product that is not rolled back. */
  readonly installedVersion: (product: string) => string | undefined;
  /** True when a fix with this id is installed and not rolled back. */
  readonly isInstalled: (id: string) => boolean;
  readonly now?: () => Date;
}

/** A package that passed every check. */
export interface VerifiedFix {
  readonly manifest: FixManifest;
  readonly manifestSha256: string;
  readonly signer: {
    readonly name: string;
    readonly publicKey: string;
    readonly fingerprint: string;
  };
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
  /** Write each payload file to `<stageDir>/<index>` (fsynced) while verifying. */
  readonly stageDir?: string;
  readonly keepSmallFiles?: boolean;
  readonly signal?: AbortSignal;
  /** Called after each payload file with bytes so far and the total. */
  readonly progress?: (done: number, total: number) => void;
}

/** Checks the manifest against what the agent trusts (everything but the payload). */
export function checkManifest(
  manifest: FixManifest,
  trust: FixTrust,
): { fromVersion: string | undefined } {
  const now = (trust.now ?? (() => new Date()))();
  if (
    !isAbsolute(manifest.targetRoot) ||
    normalize(manifest.targetRoot) !== manifest.targetRoot ||
    manifest.targetRoot.endsWith('/')
  )
    throw new AssentError(
      'FIX_PACKAGE_INVALID',
      'The target root of the fix is not a canonical absolute path.',
    );
  if (manifest.supersedes !== undefined && manifest.fixKind !== 'permanent')
    throw new AssentError('FIX_PACKAGE_INVALID', 'Only a permanent fix may supersede another.');
  if (manifest.supersedes === manifest.id)
    throw new AssentError('FIX_PACKAGE_INVALID', 'A fix cannot supersede itself.');
  checkFixPathSet(manifest.files.map((f) => f.path));
  if (now.getTime() >= Date.parse(manifest.expiresAt))
    throw new AssentError(
      'FIX_EXPIRED',
      `The fix ${manifest.id} expired on ${manifest.expiresAt}.`,
    );
  if (compareSemVer(trust.agentVersion, manifest.minAgentVersion) < 0)
    throw new AssentError(
      'FIX_AGENT_TOO_OLD',
      `The fix needs agent ${manifest.minAgentVersion} or newer (this is ${trust.agentVersion}).`,
    );
  const binding = manifest.binding;
  if (binding?.deviceKey !== undefined && binding.deviceKey !== trust.deviceKey)
    throw new AssentError('FIX_BINDING_MISMATCH', 'The fix is bound to another device.');
  if (binding?.customer !== undefined && binding.customer !== trust.customer)
    throw new AssentError(
      'FIX_BINDING_MISMATCH',
      `The fix is bound to customer ${binding.customer}.`,
    );
  if (trust.isInstalled(manifest.id))
    throw new AssentError('FIX_VERSION_NOT_NEWER', `The fix ${manifest.id} is already installed.`);
  const fromVersion = trust.installedVersion(manifest.product);
  if (fromVersion !== undefined && compareSemVer(manifest.version, fromVersion) <= 0)
    throw new AssentError(
      'FIX_VERSION_NOT_NEWER',
      `${manifest.product} ${manifest.version} is not newer than the installed ${fromVersion}.`,
    );
  return { fromVersion };
}

/** Checks the release signature envelope over the exact manifest bytes; returns the manifest. */
export function checkSignature(
  manifestBytes: Buffer,
  signatureBytes: Buffer,
  trust: Pick<FixTrust, 'signers'>,
): { manifest: FixManifest; signer: VerifiedFix['signer'] } {
  let envelope: FixSignature;
  try {
    envelope = FixSignature.parse(JSON.parse(signatureBytes.toString('utf8')));
  } catch (cause) {
    throw new AssentError('FIX_SIGNATURE_INVALID', 'The fix signature is malformed.', { cause });
  }
  const allowed = trust.signers.find((s) => s.publicKey === envelope.publicKey);
  if (!allowed)
    throw new AssentError(
      'FIX_SIGNER_NOT_ALLOWED',
      `The fix is signed by ${keyFingerprint(envelope.publicKey)}, which the ground rules do not list as a fix signer.`,
    );
  const text = manifestBytes.toString('utf8');
  if (
    !Buffer.from(text, 'utf8').equals(manifestBytes) ||
    !verifyPayload(envelope.publicKey, SIGNING_DOMAINS.fixRelease, text, envelope.signature)
  )
    throw new AssentError(
      'FIX_SIGNATURE_INVALID',
      'The release signature on the fix manifest does not verify.',
    );
  let manifest: FixManifest;
  try {
    manifest = FixManifest.parse(JSON.parse(text));
  } catch (cause) {
    throw new AssentError(
      'FIX_PACKAGE_INVALID',
      'The signed manifest does not match the manifest schema.',
      { cause },
    );
  }
  return {
    manifest,
    signer: {
      name: allowed.name,
      publicKey: allowed.publicKey,
      fingerprint: keyFingerprint(allowed.publicKey),
    },
  };
}

async function consume(
  chunks: AsyncIterable<Buffer>,
  entry: Extract<FixFileEntry, { op: 'add' | 'replace' }>,
  sink: { write(chunk: Buffer): Promise<void> } | undefined,
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

/** Bytes gathered before one write to a staged file (tar entries arrive in small chunks). */
const STAGE_WRITE_BYTES = 1024 * 1024;

async function writeFully(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let off = 0;
  while (off < data.length) off += (await handle.write(data, off, data.length - off)).bytesWritten;
}

async function stageFile(
  path: string,
  mode: number,
  body: (sink: { write(chunk: Buffer): Promise<void> }) => Promise<void>,
): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (err) {
    throw fileSystemError(err, 'staging a fix file');
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    await body({
      write: async (chunk) => {
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes < STAGE_WRITE_BYTES) return;
        const batch = pending;
        pending = [];
        pendingBytes = 0;
        await writeFully(handle, batch);
      },
    });
    if (pendingBytes > 0) await writeFully(handle, pending);
    await handle.chmod(mode);
  } catch (err) {
    throw fileSystemError(err, 'staging a fix file');
  } finally {
    await handle.close();
  }
}

/** Reads and verifies a whole package; throws an AssentError with the first reason it is refused. */
export async function verifyFixPackage(
  file: string,
  trust: FixTrust,
  options: VerifyOptions = {},
): Promise<VerifiedFix> {
  let manifest: FixManifest | undefined;
  let manifestSha256 = '';
  let signer: VerifiedFix['signer'] | undefined;
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

  const digest = await readFixPackage(
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
        if (options.stageDir) {
          const target = join(options.stageDir, String(listed.index));
          await stageFile(target, listed.entry.mode, (sink) =>
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
