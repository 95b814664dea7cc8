// Streams the audit log line by line (the log grows for years; it is never
// read whole), keeping exact line bytes and saying whether each line ended
// with a newline, which is how a torn last write shows. A log that is open
// for appending ends in space written ahead of the records (empty lines, see
// audit-log.ts): empty lines at the very end are not lines of the log; an
// empty line with anything after it is, and fails like any invalid record.
import { createReadStream } from 'node:fs';
import { AUDIT_GENESIS_HASH, MAX_AUDIT_LINE_BYTES } from '../../protocol/audit';
import type { AuditRecord } from '../../protocol/audit';
import { AssentError } from '../../protocol/errors';
import { checkRecordLine } from './audit-record';

/** One stored line. `lineNo` is 1-based and equals the seq the record on it must carry. */
export interface AuditLine {
  readonly lineNo: number;
  readonly text: string;
  /** False for a last line without a newline (torn write or truncated file). */
  readonly terminated: boolean;
  /** True when the line exceeded MAX_AUDIT_LINE_BYTES; `text` is then only its start. */
  readonly oversized: boolean;
}

const NEWLINE = 0x0a;

/**
 * Yields the lines of `file` in order, in batches (one per chunk read: an
 * await per line would cost more than checking it); a missing file yields nothing.
 */
export async function* readAuditLineBatches(file: string): AsyncGenerator<AuditLine[]> {
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  let lineNo = 0;
  /** Line number of the first of the empty lines read last, while nothing but empty lines followed. */
  let blankFrom = 0;
  const take = (): { text: string; oversized: boolean } => {
    const text = Buffer.concat(pending, Math.min(pendingBytes, MAX_AUDIT_LINE_BYTES)).toString(
      'utf8',
    );
    const oversized = skipping || pendingBytes > MAX_AUDIT_LINE_BYTES;
    pending = [];
    pendingBytes = 0;
    skipping = false;
    return { text, oversized };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch: AuditLine[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        lineNo += 1;
        if (nl === start && pendingBytes === 0) {
          // An empty line: written-ahead space if nothing but empty lines follows.
          if (blankFrom === 0) blankFrom = lineNo;
          start = nl + 1;
          continue;
        }
        if (blankFrom !== 0) batch.push(blankLine(blankFrom));
        blankFrom = 0;
        if (!skipping) pending.push(chunk.subarray(start, nl));
        pendingBytes += nl - start;
        batch.push({ lineNo, ...take(), terminated: true });
        start = nl + 1;
      }
      if (start < chunk.length) {
        if (blankFrom !== 0) batch.push(blankLine(blankFrom));
        blankFrom = 0;
        if (!skipping) pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        // A line longer than any record can be is kept only in part: a garbage
        // file must not exhaust memory.
        if (pendingBytes > MAX_AUDIT_LINE_BYTES && !skipping) {
          pending = [Buffer.concat(pending).subarray(0, MAX_AUDIT_LINE_BYTES)];
          skipping = true;
        }
      }
      if (batch.length > 0) yield batch;
    }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new AssentError('IO_FAILED', `The audit log ${file} could not be read.`, { cause });
  } finally {
    stream.destroy();
  }
  if (pendingBytes > 0) {
    lineNo += 1;
    yield [{ lineNo, ...take(), terminated: false }];
  }
}

/**
 * The first of empty lines that something followed: a line of the log that is
 * not a record (readers stop at it, so the empty lines after it are not yielded).
 */
function blankLine(lineNo: number): AuditLine {
  return { lineNo, text: '', terminated: true, oversized: false };
}

/** Yields every line of `file` in order; a missing file yields nothing. */
export async function* readAuditLines(file: string): AsyncGenerator<AuditLine> {
  for await (const batch of readAuditLineBatches(file)) yield* batch;
}

/**
 * Yields the records of `file` while the chain holds, stopping quietly at the
 * first record that breaks it (history and reports read what verifies;
 * `verify` says what does not).
 */
export async function* readAuditRecords(file: string): AsyncGenerator<AuditRecord> {
  let prevHash = AUDIT_GENESIS_HASH;
  for await (const batch of readAuditLineBatches(file)) {
    const records: AuditRecord[] = [];
    let stop = false;
    for (const line of batch) {
      const checked = line.terminated && !line.oversized ? checkRecordLine(line.text) : null;
      if (
        !checked?.ok ||
        checked.record.seq !== line.lineNo ||
        checked.record.prevHash !== prevHash
      ) {
        stop = true;
        break;
      }
      prevHash = checked.record.hash;
      records.push(checked.record);
    }
    yield* records;
    if (stop) return;
  }
}
