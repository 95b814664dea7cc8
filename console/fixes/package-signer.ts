// `fix sign` (issue 5): the release key signs the exact bytes of
// manifest.json; the package is rewritten with manifest.sig after it, once
// every payload file has been checked against the manifest.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { AssentError } from '../../protocol/errors';
import {
  FIX_MANIFEST_ENTRY,
  FIX_PAYLOAD_PREFIX,
  FIX_SIGNATURE_ENTRY,
  FixManifest,
  FixSignature,
  MAX_FIX_MANIFEST_BYTES,
} from '../../protocol/fixes';
import { SIGNING_DOMAINS, type Role } from '../../protocol/identity';
import { signPayload, type SigningKeyPair } from '../../platform/signing';
import { entryWrite, writeArchive } from './package-writer';

/** The release signature envelope over the exact manifest bytes. */
export function signManifestBytes(
  manifestBytes: Buffer,
  key: SigningKeyPair,
  signer: string,
): FixSignature {
  return FixSignature.parse({
    kind: 'assent-fix-signature',
    v: 1,
    signer,
    publicKey: key.publicKey,
    signature: signPayload(
      key.privateKey,
      SIGNING_DOMAINS.fixRelease,
      manifestBytes.toString('utf8'),
    ),
  });
}

/**
 * Signs a built package in place (installer role only): checks every payload
 * file against the manifest, then rewrites the archive with `manifest.sig`
 * after `manifest.json` (a previous signature is replaced).
 */
export async function signFixPackage(
  file: string,
  key: SigningKeyPair,
  signer: string,
  roles: readonly Role[],
): Promise<FixManifest> {
  if (!roles.includes('installer'))
    throw new AssentError(
      'FIX_SIGNER_ROLE_MISSING',
      'Only an engineer with the installer role may sign fix packages.',
    );
  let manifest: FixManifest | undefined;
  let manifestBytes: Buffer | undefined;
  await writeArchive(`${file}.signed`, async (out) => {
    const input = extract();
    const source = createReadStream(file);
    let feedError: unknown;
    const feeding = pipeline(source, input as unknown as NodeJS.WritableStream).catch(
      (err: unknown) => {
        feedError = err;
      },
    );
    try {
      await copyEntries();
    } catch (err) {
      source.destroy();
      input.destroy();
      await feeding;
      throw err;
    }
    await feeding;
    if (feedError !== undefined)
      throw new AssentError('FIX_PACKAGE_INVALID', 'The package is not a valid archive.', {
        cause: feedError,
      });
    async function copyEntries(): Promise<void> {
      for await (const raw of input) {
        const entry = raw as typeof raw & AsyncIterable<Buffer>;
        const name = entry.header.name;
        if (name === FIX_SIGNATURE_ENTRY) {
          for await (const _chunk of entry) void _chunk;
          continue;
        }
        if (manifest === undefined) {
          if (name !== FIX_MANIFEST_ENTRY)
            throw new AssentError('FIX_PACKAGE_INVALID', 'The first entry must be manifest.json.');
          const parts: Buffer[] = [];
          let size = 0;
          for await (const chunk of entry) {
            size += chunk.length;
            if (size > MAX_FIX_MANIFEST_BYTES)
              throw new AssentError('FIX_PACKAGE_INVALID', 'manifest.json is too large.');
            parts.push(chunk);
          }
          const body = Buffer.concat(parts);
          try {
            manifest = FixManifest.parse(JSON.parse(body.toString('utf8')));
          } catch (cause) {
            throw new AssentError(
              'FIX_PACKAGE_INVALID',
              'manifest.json is not a valid fix manifest.',
              { cause },
            );
          }
          manifestBytes = body;
          const sig = Buffer.from(JSON.stringify(signManifestBytes(body, key, signer)) + '\n');
          await entryWrite(out, { name: FIX_MANIFEST_ENTRY, size: body.length }, body);
          await entryWrite(out, { name: FIX_SIGNATURE_ENTRY, size: sig.length }, sig);
          continue;
        }
        const path = name.slice(FIX_PAYLOAD_PREFIX.length);
        const listed = manifest.files.find((f) => f.path === path);
        if (
          !name.startsWith(FIX_PAYLOAD_PREFIX) ||
          !listed ||
          listed.op === 'remove' ||
          listed.size !== entry.header.size
        )
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `${name} is not in the manifest with that size; rebuild the package.`,
          );
        const hash = createHash('sha256');
        async function* hashing(): AsyncGenerator<Buffer> {
          for await (const chunk of entry) {
            hash.update(chunk);
            yield chunk;
          }
        }
        await entryWrite(out, { name, size: listed.size, mode: listed.mode }, hashing());
        if (hash.digest('hex') !== listed.sha256)
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `${name} does not match its hash in the manifest; rebuild the package.`,
          );
      }
    }
  });
  if (!manifest || !manifestBytes)
    throw new AssentError('FIX_PACKAGE_INVALID', 'The package has no manifest.');
  await fsp.rename(`${file}.signed`, file);
  return manifest;
}
