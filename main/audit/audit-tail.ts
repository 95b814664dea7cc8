// On open the log is read from its end only: find the last good record (to
// continue the chain) and a torn last line left by a crash in the middle of
// an append. A torn line is moved aside, never silently dropped. Empty lines
// at the end are space written ahead of the records (audit-log.ts), not part
// of the log.
import { basename, dirname } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { AUDIT_GENESIS_HASH, MAX_AUDIT_LINE_BYTES } from '../../protocol/audit';
import { AssentError } from '../../protocol/errors';
import { checkRecordLine, sha256Hex } from './audit-record';

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

/** Where the chain continues, and what was moved aside. */
export interface AuditTail {
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Byte length of the good part of the file (the records; not the empty lines after them). */
  readonly size: number;
  readonly torn: TornLine | null;
}

/** A torn last line found on open. */
export interface TornLine {
  /** Byte offset where it started. */
  readonly offset: number;
  readonly bytes: Buffer;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/**
 * Reads backwards from `end`, a chunk at a time, until `find` returns an
 * index in a chunk; the offset of that byte, or -1.
 */
async function scanBack(
  handle: FileHandle,
  end: number,
  find: (chunk: Buffer) => number,
): Promise<number> {
  let stop = end;
  while (stop > 0) {
    const start = Math.max(0, stop - CHUNK);
    const at = find(await readAt(handle, start, stop - start));
    if (at !== -1) return start + at;
    stop = start;
  }
  return -1;
}

/** Offset just after the last byte before `end` that is not a newline, or 0. */
async function endOfText(handle: FileHandle, end: number): Promise<number> {
  const last = await scanBack(handle, end, (chunk) => {
    for (let i = chunk.length - 1; i >= 0; i--) if (chunk[i] !== NEWLINE) return i;
    return -1;
  });
  return last + 1;
}

/** Offset of the last newline before `end`, or -1. */
function lastNewlineBefore(handle: FileHandle, end: number): Promise<number> {
  return scanBack(handle, end, (chunk) => chunk.lastIndexOf(NEWLINE));
}

function isJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Reads the end of the log: the last good record and any torn last line. */
export async function readAuditTail(handle: FileHandle, fileSize: number): Promise<AuditTail> {
  const textEnd = await endOfText(handle, fileSize);
  if (textEnd === 0) return { lastSeq: 0, lastHash: AUDIT_GENESIS_HASH, size: 0, torn: null };
  // The log proper ends with the newline after its last text, if there is one.
  const size = textEnd < fileSize ? textEnd + 1 : fileSize;
  let goodEnd = size;
  let tornStart = size;
  if (textEnd === size) {
    goodEnd = (await lastNewlineBefore(handle, size)) + 1;
    tornStart = goodEnd;
  }
  let lineStart = goodEnd > 0 ? (await lastNewlineBefore(handle, goodEnd - 1)) + 1 : 0;
  let line = goodEnd > 0 ? await readAt(handle, lineStart, goodEnd - 1 - lineStart) : null;
  // A terminated last line that is not JSON at all is also what a crash leaves
  // (a block of zeros, a half line followed by a newline); one such line only.
  if (line && tornStart === size && line.length <= MAX_AUDIT_LINE_BYTES && !isJson(line)) {
    tornStart = lineStart;
    goodEnd = lineStart;
  }
  if (tornStart < size && goodEnd > 0) {
    // Parts of an append may reach the disk out of order, leaving space
    // written ahead (empty lines) before a torn line's end: that space
    // belongs to the torn append.
    const text = await endOfText(handle, goodEnd);
    goodEnd = text === 0 ? 0 : text + 1;
    tornStart = goodEnd;
    lineStart = goodEnd > 0 ? (await lastNewlineBefore(handle, goodEnd - 1)) + 1 : 0;
    line = goodEnd > 0 ? await readAt(handle, lineStart, goodEnd - 1 - lineStart) : null;
  }
  const torn =
    tornStart < size
      ? { offset: tornStart, bytes: await readAt(handle, tornStart, size - tornStart) }
      : null;
  if (!line) return { lastSeq: 0, lastHash: AUDIT_GENESIS_HASH, size: goodEnd, torn };
  const checked =
    line.length > MAX_AUDIT_LINE_BYTES
      ? ({ ok: false, code: 'AUDIT_RECORD_INVALID', reason: 'line is too long' } as const)
      : checkRecordLine(line.toString('utf8'));
  if (!checked.ok)
    throw new AssentError(
      checked.code,
      `The last record of the audit log is not valid (${checked.reason}); nothing more can be audited. Run "assent-agent audit verify".`,
    );
  return { lastSeq: checked.record.seq, lastHash: checked.record.hash, size: goodEnd, torn };
}

/** What was moved aside. */
export interface MovedTornLine {
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Saves a torn line to `<log>.torn-<time>` (synced), then cuts it off the log.
 * In this order a crash during recovery loses nothing: at worst the torn
 * bytes exist twice and the next open moves them aside again.
 */
export async function moveTornLine(
  handle: FileHandle,
  logFile: string,
  torn: TornLine,
  now: Date,
): Promise<MovedTornLine> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const target = `${logFile}.torn-${stamp}`;
  const aside = await open(target, 'wx', 0o600);
  try {
    await aside.writeFile(torn.bytes);
    await aside.sync();
  } finally {
    await aside.close();
  }
  await syncDirectory(dirname(logFile));
  await handle.truncate(torn.offset);
  await handle.datasync();
  return {
    file: basename(target),
    offset: torn.offset,
    bytes: torn.bytes.length,
    sha256: sha256Hex(torn.bytes),
  };
}

/** fsync of a directory, so a new or renamed entry in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
