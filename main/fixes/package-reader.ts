// Reads a `.assentfix` package (a plain tar), enforcing the layout and the
// limits while it reads, so a hostile archive is refused before anything is
// extracted (issue 5: endless data, bombs, links, devices). Layout, in this
// order: `manifest.json`, `manifest.sig`, then one regular-file entry per
// payload file under `payload/`. Every other entry type (directories,
// symlinks, hardlinks, devices, fifos, sparse files) is refused; the agent
// never decompresses anything. The package is read synchronously, chunk by
// chunk, into buffers the caller may reuse (the fix worker reads straight
// into the ring the main thread hashes from): each payload file's bytes are
// handed over as views while they are read, and nothing keeps a view of a
// chunk once the next one is read.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
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
import { TarCursor, type PackageChunks } from './tar-cursor';
import {
  MAX_TAR_LONG_HEADER_BYTES,
  TAR_BLOCK,
  blockPadding,
  decodeLongPath,
  decodePax,
  decodeTarHeader,
  type TarHeader,
} from './tar-header';

export type { PackageChunks } from './tar-cursor';

/** Passes a payload file's bytes to `sink` as they are read; returns how many (fewer than declared when the archive ends first). */
export type ReadPayload = (sink: (bytes: Uint8Array) => void) => number;

/** What the reader hands to its caller, entry by entry. */
export interface PackageVisitor {
  /** The manifest and signature bytes (copies), before any payload. */
  header(manifest: Buffer, signature: Buffer): void | Promise<void>;
  /** One payload file: its fix path, its declared size, and `read`, to be called once (views passed to its sink are valid only during the call). */
  payload(path: string, size: number, read: ReadPayload): void;
}

export interface PackageReadOptions {
  readonly headerOnly?: boolean;
  /** Where chunks are read into (default: one buffer, reused). */
  readonly chunks?: PackageChunks;
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

/** Refuses every entry that is not a plain regular file (an unknown typeflag counts as a file, as tar-stream reads it). */
function checkEntryType(header: TarHeader): void {
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

/** Pending pax and GNU long-name headers, applied to the next entry. */
interface LongHeaders {
  pax: Record<string, string> | null;
  paxGlobal: Record<string, string> | null;
  path: string | null;
  linkPath: string | null;
}

/** The next entry's header (long headers applied), or null at the end of the archive. */
function nextHeader(cursor: TarCursor, long: LongHeaders): TarHeader | null {
  for (;;) {
    const block = cursor.take(TAR_BLOCK);
    if (block === 'end') return null;
    if (block === 'short') throw new Error('Unexpected end of data');
    const header = decodeTarHeader(block);
    if (!header) continue;
    const type = header.type;
    if (
      type === 'pax-header' ||
      type === 'pax-global-header' ||
      type === 'gnu-long-path' ||
      type === 'gnu-long-link-path'
    ) {
      if (header.size > MAX_TAR_LONG_HEADER_BYTES) throw new Error('Header exceeds max size');
      // Decoded before the cursor reads on: `data` may be a view of the current chunk.
      const data = cursor.take(header.size);
      if (typeof data === 'string') throw new Error('Unexpected end of data');
      if (type === 'gnu-long-path') long.path = decodeLongPath(data);
      else if (type === 'gnu-long-link-path') long.linkPath = decodeLongPath(data);
      else if (type === 'pax-global-header') long.paxGlobal = decodePax(data);
      else long.pax = { ...long.paxGlobal, ...decodePax(data) };
      if (!cursor.skip(blockPadding(header.size))) throw new Error('Unexpected end of data');
      continue;
    }
    if (long.path !== null) header.name = long.path;
    if (long.linkPath !== null) header.linkname = long.linkPath;
    if (long.pax) {
      if (long.pax['path']) header.name = long.pax['path'];
      if (long.pax['linkpath']) header.linkname = long.pax['linkpath'];
      if (long.pax['size']) header.size = parseInt(long.pax['size'], 10);
    }
    long.path = long.linkPath = long.pax = null;
    if (!(header.size >= 0)) throw new Error('Invalid header');
    return header;
  }
}

/** A small entry's bytes, copied; FIX_PACKAGE_INVALID past `limit` or when the archive ends first. */
function readSmall(cursor: TarCursor, size: number, limit: number, what: string): Buffer {
  if (size > limit) throw invalid(`${what} is larger than ${limit} bytes.`);
  const data = cursor.take(size);
  if (typeof data === 'string') throw new Error('Unexpected end of data');
  const copy = Buffer.from(data);
  if (!cursor.skip(blockPadding(size))) throw new Error('Unexpected end of data');
  return copy;
}

async function readEntries(
  cursor: TarCursor,
  visitor: PackageVisitor,
  headerOnly: boolean,
): Promise<boolean> {
  const long: LongHeaders = { pax: null, paxGlobal: null, path: null, linkPath: null };
  let index = 0;
  let manifest: Buffer | undefined;
  for (let header = nextHeader(cursor, long); header; header = nextHeader(cursor, long)) {
    index += 1;
    if (index > MAX_FIX_ARCHIVE_ENTRIES)
      throw invalid(`The package has more than ${MAX_FIX_ARCHIVE_ENTRIES} entries.`);
    checkEntryType(header);
    const size = header.size;
    if (size > MAX_FIX_PACKAGE_BYTES)
      throw invalid(`Entry ${JSON.stringify(header.name)} declares ${size} bytes.`);
    if (index === 1) {
      if (header.name !== FIX_MANIFEST_ENTRY)
        throw invalid(`The first entry must be ${FIX_MANIFEST_ENTRY}.`);
      manifest = readSmall(cursor, size, MAX_FIX_MANIFEST_BYTES, FIX_MANIFEST_ENTRY);
      continue;
    }
    if (index === 2) {
      if (header.name !== FIX_SIGNATURE_ENTRY)
        throw new AssentError('FIX_SIGNATURE_INVALID', 'The fix package is not signed.');
      const signature = readSmall(cursor, size, MAX_FIX_SIGNATURE_BYTES, FIX_SIGNATURE_ENTRY);
      await visitor.header(manifest!, signature);
      if (headerOnly) return true;
      continue;
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
    let read = false;
    visitor.payload(path, size, (sink) => {
      if (read) throw new TypeError('A payload entry was read twice.');
      read = true;
      return cursor.pass(size, sink);
    });
    if (!read) throw new TypeError('A payload entry was not read.');
    if (!cursor.skip(blockPadding(size))) throw new Error('Unexpected end of data');
  }
  if (manifest === undefined) throw invalid('The fix package is empty.');
  if (index === 1) throw new AssentError('FIX_SIGNATURE_INVALID', 'The fix package is not signed.');
  return false;
}

/**
 * Reads `file` through the visitor. Throws FIX_PACKAGE_INVALID for a
 * malformed or oversized archive, FIX_PATH_UNSAFE for links, devices and
 * unsafe names, FIX_SIGNATURE_INVALID when it is not signed. Resolves with
 * the size read (undefined with `headerOnly`); `chunks.filled` saw exactly
 * those bytes, in order, each before the parser did.
 */
export async function readFixPackage(
  file: string,
  visitor: PackageVisitor,
  options: PackageReadOptions = {},
): Promise<number | undefined> {
  let fd: number;
  try {
    const st = lstatSync(file);
    if (!st.isFile()) throw invalid('The fix package is not a regular file.');
    if (st.size > MAX_FIX_PACKAGE_BYTES)
      throw invalid(`The fix package is larger than ${MAX_FIX_PACKAGE_BYTES} bytes.`);
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (cause) {
    if (cause instanceof AssentError) throw cause;
    throw new AssentError('IO_FAILED', `The fix package ${file} cannot be read.`, { cause });
  }
  try {
    const size = fstatSync(fd).size;
    const cursor = new TarCursor(
      (into) => readSync(fd, into, 0, into.length, null),
      options.chunks,
    );
    let stopped: boolean;
    try {
      stopped = await readEntries(cursor, visitor, options.headerOnly ?? false);
    } catch (err) {
      if (err instanceof AssentError || (err as Error).name === 'AbortError') throw err;
      throw invalid(`The fix package is not a valid archive: ${(err as Error).message}`, err);
    }
    // headerOnly: the rest of the archive is not read (the caller reads it again in full later).
    if (stopped) return undefined;
    if (cursor.read !== size) throw invalid('The fix package changed while it was read.');
    return cursor.read;
  } finally {
    closeSync(fd);
  }
}
