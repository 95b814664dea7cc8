// The space the audit log writes ahead of its records (main/audit/space-ahead.ts):
// what the file holds while open and after close, what a killed writer leaves
// and how the next open reads it, empty lines that are not at the end, and a
// full disk (a real 4 MiB tmpfs, mounted as root).
import { spawnSync } from 'node:child_process';
import { mkdir, open, readFile, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAssentError } from '../../../protocol/errors';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { verifyAuditLog } from '../../../main/audit/audit-verify';
import { PIECE_BYTES, SpaceAhead, STRETCH_BYTES } from '../../../main/audit/space-ahead';
import { tempDataDir } from './audit-fixtures';

const NEWLINE = 0x0a;

async function seqs(file: string): Promise<number[]> {
  const out: number[] = [];
  for await (const record of readAuditRecords(file)) out.push(record.seq);
  return out;
}

/** Text of the records: the file up to and including its last line that is not empty. */
function recordsOf(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === NEWLINE) end--;
  return bytes.subarray(0, end + 1);
}

async function appendSome(log: AuditLog, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++)
    await log.append({ type: 'action.result', data: { i, note: 'x'.repeat(300) } });
}

/** A fresh data directory with an open durable log of `count` records. */
async function logWith(count: number): Promise<{ dataDir: string; file: string; log: AuditLog }> {
  const dataDir = await tempDataDir();
  const log = await AuditLog.open(dataDir);
  await appendSome(log, 0, count);
  return { dataDir, file: auditLogPath(dataDir), log };
}

describe('AuditLog space written ahead', () => {
  it('keeps newlines after the records while open, verifies, and ends with the last record once closed', async () => {
    const { file, log } = await logWith(5);

    const open = await readFile(file);
    const records = recordsOf(open);
    expect(open.length).toBeGreaterThanOrEqual(records.length + STRETCH_BYTES / 2);
    expect(open.subarray(records.length).every((b) => b === NEWLINE)).toBe(true);
    expect(records.toString('utf8').split('\n').filter(Boolean)).toHaveLength(5);
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true, count: 5 });
    expect(await seqs(file)).toEqual([1, 2, 3, 4, 5]);

    await log.close();
    const closed = await readFile(file);
    expect(closed.equals(records)).toBe(true);
  });

  it('writes further stretches as records fill the space, and every record stays in order', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    // About 1.5 MiB of records: the first stretch and several more.
    await appendSome(log, 0, 4000);
    await log.close();
    const file = auditLogPath(dataDir);
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true, count: 4000 });
    const bytes = await readFile(file);
    expect(bytes.indexOf('\n\n')).toBe(-1);
    expect(bytes[bytes.length - 1]).toBe(NEWLINE);
  });

  it('continues the chain right after the last record when a killed writer left space ahead', async () => {
    const { dataDir, file, log } = await logWith(3);
    const leftByKill = await readFile(file);
    await log.close();
    await writeFile(file, leftByKill);

    const reopened = await AuditLog.open(dataDir);
    expect(reopened.recovered).toBeNull();
    expect(reopened.lastSeq).toBe(3);
    await appendSome(reopened, 3, 2);
    await reopened.close();
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true, count: 5 });
    expect((await readFile(file)).indexOf('\n\n')).toBe(-1);
  });

  it('opens a file of nothing but space as an empty log', async () => {
    const dataDir = await tempDataDir();
    await mkdir(join(dataDir, 'audit'), { recursive: true, mode: 0o700 });
    await writeFile(auditLogPath(dataDir), Buffer.alloc(10_000, NEWLINE), { mode: 0o600 });
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: 0 });
    const log = await AuditLog.open(dataDir);
    expect(log.lastSeq).toBe(0);
    await appendSome(log, 0, 1);
    await log.close();
    expect(await seqs(auditLogPath(dataDir))).toEqual([1]);
  });

  it('moves aside a torn append whose end reached the disk before its start, with the space before it', async () => {
    const { dataDir, file, log } = await logWith(2);
    const whole = await readFile(file);
    await log.close();
    // Power lost in the third append: its second half is on disk, its first half is still space.
    const records = recordsOf(whole);
    const lost = Buffer.alloc(200, NEWLINE);
    const secondHalf = Buffer.from('note":"xxxxxxxx"},"type":"action.result"}\n');
    await writeFile(
      file,
      Buffer.concat([records, lost, secondHalf, Buffer.alloc(50_000, NEWLINE)]),
    );

    const reopened = await AuditLog.open(dataDir);
    expect(reopened.recovered?.bytes).toBe(lost.length + secondHalf.length);
    expect(reopened.lastSeq).toBe(3);
    await reopened.close();
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true, count: 3 });
    const torn = await readFile(join(dataDir, 'audit', reopened.recovered!.file));
    expect(torn.equals(Buffer.concat([lost, secondHalf]))).toBe(true);
  });

  it('fails verification at an empty line that has a record after it', async () => {
    const { file, log } = await logWith(3);
    await log.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    await writeFile(file, [lines[0], '', '', lines[1], lines[2], ''].join('\n'));

    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 2,
      code: 'AUDIT_RECORD_INVALID',
    });
    expect(await seqs(file)).toEqual([1]);
  });

  it('writes no space ahead for a log that is not durable', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir, { durable: false });
    await appendSome(log, 0, 3);
    const bytes = await readFile(auditLogPath(dataDir));
    expect(recordsOf(bytes).length).toBe(bytes.length);
    await log.close();
  });
});

const canMount = process.getuid?.() === 0 && process.platform === 'linux';
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', [m]);
});

describe.runIf(canMount)('AuditLog on a full disk (real tmpfs)', () => {
  it('keeps auditing into the space ahead, then refuses cleanly, and goes on once there is room', async () => {
    const dataDir = join(await tempDataDir(), 'small');
    await mkdir(dataDir);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dataDir]);
    expect(mounted.status, String(mounted.stderr)).toBe(0);
    mounts.push(dataDir);
    const log = await AuditLog.open(dataDir);
    try {
      // Fill what is left of the disk.
      const filler = join(dataDir, 'filler');
      await writeFile(filler, Buffer.alloc(8 * 1024 * 1024)).catch(() => undefined);

      // The space ahead already belongs to the log: records still land.
      await appendSome(log, 0, 20);
      // Past it, appends fail with the audit's code and nothing half-written stays.
      let failure: unknown = null;
      for (let i = 20; i < 20_000 && failure === null; i++)
        await appendSome(log, i, 1).catch((cause: unknown) => (failure = cause));
      expect(isAssentError(failure) && failure.code).toBe('AUDIT_WRITE_FAILED');
      const kept = log.lastSeq;
      expect(kept).toBeGreaterThanOrEqual(20);
      expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: kept });

      // Room again: the log goes on.
      await writeFile(filler, '');
      await appendSome(log, kept, 3);
      await log.close();
      expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({
        ok: true,
        count: kept + 3,
      });
      expect((await stat(auditLogPath(dataDir))).size).toBe(
        recordsOf(await readFile(auditLogPath(dataDir))).length,
      );
    } finally {
      // Closed before the tmpfs is unmounted, also when the test failed.
      await log.close();
    }
  });
});

describe('SpaceAhead pieces', () => {
  it('writes the first stretch at once and a stretch grown in use in pieces, each usable once on disk', async () => {
    const handle = await open(join(await tempDataDir(), 'log'), 'w+');
    const writes: Array<{ length: number; position: number }> = [];
    const held: Array<() => void> = [];
    const release = (): void => held.splice(0).forEach((go) => go());
    // A real file; the writes of a stretch grown in use finish when the test lets them.
    const recording = {
      write: async (buffer: Buffer, offset: number, length: number, position: number) => {
        writes.push({ length, position });
        const result = await handle.write(buffer, offset, length, position);
        if (writes.length > 1) await new Promise<void>((go) => held.push(go));
        return result;
      },
    } as unknown as FileHandle;
    try {
      const ahead = new SpaceAhead(recording, 0, {
        regular: true,
        durable: true,
        syncAfterWrite: false,
      });
      await ahead.prepare(0);
      expect(writes).toEqual([{ length: STRETCH_BYTES, position: 0 }]);

      // Records fill more than half of it: the next stretch starts, one piece at a time.
      ahead.grow(STRETCH_BYTES / 2 + 1);
      await expect.poll(() => held.length).toBe(1);
      expect(writes).toHaveLength(2);
      expect(writes[1]).toEqual({ length: PIECE_BYTES, position: STRETCH_BYTES });

      // Once the first piece is on disk, a record that fits in it goes on
      // while the second piece is still being written.
      release();
      await expect.poll(() => held.length).toBe(1);
      expect(writes).toHaveLength(3);
      let placed = false;
      void ahead.before(STRETCH_BYTES + PIECE_BYTES - 10, 10).then(() => (placed = true));
      await expect.poll(() => placed).toBe(true);

      // Let every further piece through until the whole stretch is written.
      let settled = false;
      const stretchWritten = ahead.settle().then(() => (settled = true));
      while (!settled) {
        release();
        await new Promise((r) => setTimeout(r, 1));
      }
      await stretchWritten;
      const pieces = STRETCH_BYTES / PIECE_BYTES;
      expect(writes.slice(1)).toEqual(
        Array.from({ length: pieces }, (_, i) => ({
          length: PIECE_BYTES,
          position: STRETCH_BYTES + i * PIECE_BYTES,
        })),
      );
      expect((await handle.stat()).size).toBe(2 * STRETCH_BYTES);
    } finally {
      release();
      await handle.close();
    }
  });
});
