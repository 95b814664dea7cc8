// Reads a `.assentfix` package (a plain tar) as a stream, enforcing the
// layout and the limits while it reads, so a hostile archive is refused
// before anything is extracted (issue 5: endless data, bombs, links,
// devices). Layout, in this order: `manifest.json`, `manifest.sig`, then one
// regular-file entry per payload file under `payload/`. Every other entry
// type (directories, symlinks, hardlinks, devices, fifos, sparse files) is
// refused; the agent never decompresses anything.
import { createReadStream, promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { AssentError } from '../../protocol/errors';
import {
  FIX_MANIFEST_ENTRY,
  FIX_PAYLOAD_PREFIX,
  FIX_SIGNATURE_ENTRY,
  MAX_FIX_ARCHIVE_ENTRIES,
  MAX_FIX_MANIFEST_BYTES,
  MAX_FIX_PACKAGE_BYTES,
  MAX_FIX_SIGNATURE_BYTES,
} from '../../protocol/fixes';
import { checkFixPath } from './fix-paths';

/** What the reader hands to its caller, entry by entry. */
export interface PackageVisitor {
  /** The manifest and signature bytes (signature undefined only with `allowUnsigned`), before any payload. */
  header(manifest: Buffer, signature: Buffer | undefined): void | Promise<void>;
  /** One payload file: its fix path, its declared size, and its bytes (must be consumed). */
  payload(path: string, size: number, chunks: AsyncIterable<Buffer>): Promise<void>;
}

export interface PackageReadOptions {
  readonly allowUnsigned?: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly headerOnly?: boolean;
  /** Opens the package's bytes (default: a read stream of 1 MiB chunks). */
  readonly open?: (file: string) => Readable;
  /**
   * Sees every chunk read, in order, before the parser does (the caller
   * hashes the package with it: the digest is of exactly the bytes parsed).
   */
  readonly onChunk?: (chunk: Buffer) => void;
}

function invalid(message: string, cause?: unknown): AssentError {
  return new AssentError(
    'FIX_PACKAGE_INVALID',
    message,
    cause === undefined ? undefined : { cause },
  );
}

function unsafeEntry(name: string, why: string): AssentError {
  return new AssentError(
    'FIX_PATH_UNSAFE',
    `Unsafe archive entry ${JSON.stringify(name)} (${why}).`,
    {
      details: { path: name.slice(0, 300), why },
    },
  );
}

/** Refuses every entry that is not a plain regular file. */
function checkEntryType(header: Header): void {
  const type = header.type ?? 'file';
  if (type === 'file') return;
  if (type === 'symlink' || type === 'link')
    throw unsafeEntry(header.name, `a ${type === 'link' ? 'hard link' : 'symbolic link'}`);
  if (type === 'character-device' || type === 'block-device' || type === 'fifo')
    throw unsafeEntry(header.name, `a ${type}`);
  throw invalid(
    `The package holds a ${type} entry ${JSON.stringify(header.name)}; only regular files are allowed.`,
  );
}

async function readSmall(
  entry: AsyncIterable<Buffer>,
  limit: number,
  what: string,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of entry) {
    total += chunk.length;
    if (total > limit) throw invalid(`${what} is larger than ${limit} bytes.`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/**
 * Streams `file` through the visitor. Throws FIX_PACKAGE_INVALID for a
 * malformed or oversized archive and FIX_PATH_UNSAFE for links, devices and
 * unsafe names. Resolves with the size read (undefined with `headerOnly`);
 * `onChunk` saw exactly those bytes.
 */
export async function readFixPackage(
  file: string,
  visitor: PackageVisitor,
  options: PackageReadOptions = {},
): Promise<number | undefined> {
  let st;
  try {
    st = await fsp.lstat(file);
  } catch (cause) {
    throw new AssentError('IO_FAILED', `The fix package ${file} cannot be read.`, { cause });
  }
  if (!st.isFile()) throw invalid('The fix package is not a regular file.');
  if (st.size > MAX_FIX_PACKAGE_BYTES)
    throw invalid(`The fix package is larger than ${MAX_FIX_PACKAGE_BYTES} bytes.`);

  let read = 0;
  const source = options.open?.(file) ?? createReadStream(file, { highWaterMark: 1024 * 1024 });
  source.on('data', (chunk: Buffer) => {
    read += chunk.length;
    options.onChunk?.(chunk);
  });
  const tar = extract();
  let feedError: unknown;
  const feeding = pipeline(
    source,
    tar as unknown as NodeJS.WritableStream,
    options.signal ? { signal: options.signal } : {},
  ).catch((err: unknown) => {
    feedError = err;
  });

  let index = 0;
  let manifest: Buffer | undefined;
  let stopped = false;
  try {
    for await (const rawEntry of tar) {
      const entry = rawEntry as typeof rawEntry & AsyncIterable<Buffer>;
      options.signal?.throwIfAborted();
      const header = entry.header;
      index += 1;
      if (index > MAX_FIX_ARCHIVE_ENTRIES)
        throw invalid(`The package has more than ${MAX_FIX_ARCHIVE_ENTRIES} entries.`);
      checkEntryType(header);
      const size = header.size ?? 0;
      if (size > MAX_FIX_PACKAGE_BYTES)
        throw invalid(`Entry ${JSON.stringify(header.name)} declares ${size} bytes.`);
      if (index === 1) {
        if (header.name !== FIX_MANIFEST_ENTRY)
          throw invalid(`The first entry must be ${FIX_MANIFEST_ENTRY}.`);
        manifest = await readSmall(entry, MAX_FIX_MANIFEST_BYTES, FIX_MANIFEST_ENTRY);
        continue;
      }
      if (index === 2 && header.name === FIX_SIGNATURE_ENTRY) {
        const signature = await readSmall(entry, MAX_FIX_SIGNATURE_BYTES, FIX_SIGNATURE_ENTRY);
        await visitor.header(manifest!, signature);
        if (options.headerOnly) {
          stopped = true;
          break;
        }
        continue;
      }
      if (index === 2) {
        if (!options.allowUnsigned)
          throw new AssentError('FIX_SIGNATURE_INVALID', 'The fix package is not signed.');
        await visitor.header(manifest!, undefined);
        if (options.headerOnly) {
          stopped = true;
          break;
        }
      }
      if (!header.name.startsWith(FIX_PAYLOAD_PREFIX)) {
        checkFixPath(header.name);
        throw invalid(
          `Unexpected entry ${JSON.stringify(header.name)}; payload files live under ${FIX_PAYLOAD_PREFIX}.`,
        );
      }
      const path = header.name.slice(FIX_PAYLOAD_PREFIX.length);
      try {
        checkFixPath(path);
      } catch (err) {
        throw err instanceof AssentError ? err : unsafeEntry(header.name, 'invalid name');
      }
      await visitor.payload(path, size, entry);
    }
  } catch (err) {
    source.destroy();
    tar.destroy();
    if (err instanceof AssentError) throw err;
    if (options.signal?.aborted) throw err;
    throw invalid(`The fix package is not a valid archive: ${(err as Error).message}`, err);
  }
  if (stopped) {
    // headerOnly: the rest of the archive is not read (the caller reads it again in full later).
    source.destroy();
    tar.destroy();
    await feeding;
    return undefined;
  }
  await feeding;
  if (feedError !== undefined) {
    if (options.signal?.aborted) throw feedError;
    throw invalid(
      `The fix package is not a valid archive: ${(feedError as Error).message}`,
      feedError,
    );
  }
  if (manifest === undefined) throw invalid('The fix package is empty.');
  if (index === 1) {
    if (!options.allowUnsigned)
      throw new AssentError('FIX_SIGNATURE_INVALID', 'The fix package is not signed.');
    await visitor.header(manifest, undefined);
  }
  if (read !== st.size) throw invalid('The fix package changed while it was read.');
  return read;
}
