// Reads the manifest and signature entries at the head of a package (for
// `fix inspect`); the payload is not read.
import { createReadStream } from 'node:fs';
import { extract } from 'tar-stream';
import { AssentError } from '../../protocol/errors';
import { systemErrorReason } from '../../platform/system-error';
import {
  FIX_MANIFEST_ENTRY,
  FIX_SIGNATURE_ENTRY,
  MAX_FIX_MANIFEST_BYTES,
} from '../../protocol/fixes';

/** The manifest bytes and, when signed, the signature bytes of a package. */
export async function readPackageHead(
  file: string,
): Promise<{ manifest: Buffer; signature?: Buffer }> {
  const source = createReadStream(file);
  const tar = extract();
  // A file that cannot be read (missing, a directory) is not a malformed package: kept apart.
  let readFailure: NodeJS.ErrnoException | undefined;
  source.once('error', (error) => {
    readFailure = error;
    tar.destroy(error);
  });
  source.pipe(tar as unknown as NodeJS.WritableStream);
  let manifest: Buffer | undefined;
  let signature: Buffer | undefined;
  try {
    for await (const raw of tar) {
      const entry = raw as typeof raw & AsyncIterable<Buffer>;
      const name = entry.header.name;
      if (
        (name !== FIX_MANIFEST_ENTRY && name !== FIX_SIGNATURE_ENTRY) ||
        entry.header.size > MAX_FIX_MANIFEST_BYTES
      )
        break;
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk);
      if (name === FIX_MANIFEST_ENTRY) manifest = Buffer.concat(parts);
      else signature = Buffer.concat(parts);
      if (signature) break;
    }
  } catch (cause) {
    if (readFailure)
      throw new AssentError(
        'IO_FAILED',
        `Cannot read ${file}: ${systemErrorReason(readFailure)}.`,
        {
          cause,
        },
      );
    throw new AssentError('FIX_PACKAGE_INVALID', 'The file is not a fix package.', { cause });
  } finally {
    source.destroy();
    tar.destroy();
  }
  if (!manifest)
    throw new AssentError('FIX_PACKAGE_INVALID', 'The package has no manifest.json first.');
  return signature ? { manifest, signature } : { manifest };
}
