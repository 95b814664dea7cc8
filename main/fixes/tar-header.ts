// Decodes tar headers for the fix package reader (package-reader.ts), the
// same way tar-stream 3 (which writes the packages, console/fixes) reads
// them: ustar and GNU headers with their checksum, base-256 sizes, pax
// extended headers (path, linkpath, size) and GNU long names. The reader
// parses the package synchronously from buffers it reuses (issue 5
// benchmark: no fresh buffer per chunk, no stream per entry), so it cannot
// use tar-stream's extractor, whose entries keep views of every chunk.
import { Buffer } from 'node:buffer';

/** What tar-stream calls each typeflag; an unknown flag is null. */
export type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'pax-header'
  | 'pax-global-header'
  | 'gnu-long-link-path'
  | 'gnu-long-path';

export interface TarHeader {
  name: string;
  size: number;
  type: TarEntryType | null;
  linkname: string | null;
}

/** Size a pax or GNU long-name header's data may have (tar-stream's limit). */
export const MAX_TAR_LONG_HEADER_BYTES = 4 * 1024 * 1024;

export const TAR_BLOCK = 512;

const TYPES: Record<number, TarEntryType> = {
  0: 'file',
  1: 'link',
  2: 'symlink',
  3: 'character-device',
  4: 'block-device',
  5: 'directory',
  6: 'fifo',
  7: 'contiguous-file',
  72: 'pax-header',
  55: 'pax-global-header',
  27: 'gnu-long-link-path',
  28: 'gnu-long-path',
  30: 'gnu-long-path',
};

const ZERO = 0x30;
const USTAR_MAGIC = Buffer.from('ustar\0', 'latin1');
const GNU_MAGIC = Buffer.from('ustar ', 'latin1');
const GNU_VERSION = Buffer.from(' \0', 'latin1');
const MAGIC_OFFSET = 257;
const VERSION_OFFSET = 263;

/** Padding after `size` bytes of data up to the next block. */
export function blockPadding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

function indexOf(block: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (block[i] === byte) return i;
  return end;
}

function decodeString(block: Uint8Array, offset: number, length: number): string {
  const end = indexOf(block, 0, offset, offset + length);
  return Buffer.from(block.buffer, block.byteOffset + offset, end - offset).toString('utf8');
}

/** A base-256 number (first byte 0x80 positive, 0xff negative), or null. */
function parse256(field: Uint8Array): number | null {
  const positive = field[0] === 0x80;
  if (!positive && field[0] !== 0xff) return null;
  let sum = 0;
  for (let i = field.length - 1, scale = 1; i > 0; i--, scale *= 256)
    sum += (positive ? field[i]! : 0xff - field[i]!) * scale;
  return positive ? sum : -sum;
}

function decodeOctal(block: Uint8Array, offset: number, length: number): number | null {
  const field = block.subarray(offset, offset + length);
  if (field[0]! & 0x80) return parse256(field);
  let start = 0;
  while (start < field.length && field[start] === 0x20) start++;
  const end = indexOf(field, 0x20, start, field.length);
  while (start < end && field[start] === 0) start++;
  if (end === start) return 0;
  return parseInt(Buffer.from(field.subarray(start, end)).toString('latin1'), 8);
}

function checksum(block: Uint8Array): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let i = 156; i < TAR_BLOCK; i++) sum += block[i]!;
  return sum;
}

const equalAt = (block: Uint8Array, offset: number, bytes: Buffer) =>
  bytes.equals(block.subarray(offset, offset + bytes.length));

/**
 * Decodes one 512-byte header block: null for an empty block (an end
 * marker, skipped as tar-stream does). Throws an Error for a wrong checksum
 * or a header that is neither ustar nor GNU.
 */
export function decodeTarHeader(block: Uint8Array): TarHeader | null {
  let flag = block[156] === 0 ? 0 : block[156]! - ZERO;
  let name = decodeString(block, 0, 100);
  const size = decodeOctal(block, 124, 12);
  const linkname = block[157] === 0 ? null : decodeString(block, 157, 100);
  const sum = checksum(block);
  if (sum === 8 * 32) return null;
  if (sum !== decodeOctal(block, 148, 8))
    throw new Error('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
  if (equalAt(block, MAGIC_OFFSET, USTAR_MAGIC)) {
    if (block[345]) name = `${decodeString(block, 345, 155)}/${name}`;
  } else if (
    !equalAt(block, MAGIC_OFFSET, GNU_MAGIC) ||
    !equalAt(block, VERSION_OFFSET, GNU_VERSION)
  ) {
    throw new Error('Invalid tar header: unknown format.');
  }
  // Old tar versions mark directories with a trailing slash.
  if (flag === 0 && name.endsWith('/')) flag = 5;
  return { name, size: size ?? NaN, type: TYPES[flag] ?? null, linkname };
}

/** The records of a pax extended header (`<length> <key>=<value>\n` each). */
export function decodePax(data: Uint8Array): Record<string, string> {
  const result: Record<string, string> = {};
  let rest = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  while (rest.length > 0) {
    const space = indexOf(rest, 0x20, 0, rest.length);
    const length = parseInt(rest.subarray(0, space).toString('utf8'), 10);
    if (!length) return result;
    const record = rest.subarray(space + 1, length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) return result;
    result[record.slice(0, eq)] = record.slice(eq + 1);
    rest = rest.subarray(length);
  }
  return result;
}

/** A GNU long name (up to its first NUL). */
export function decodeLongPath(data: Uint8Array): string {
  return decodeString(data, 0, data.length);
}
