import {
  appendFile,
  chmod,
  mkdir,
  readdir,
  readFile,
  rename,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, AuditRecord } from '../../../protocol/audit';
import { isAssentError } from '../../../protocol/errors';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { computeRecordHash, sha256Hex } from '../../../main/audit/audit-record';
import { verifyAuditLog } from '../../../main/audit/audit-verify';
import { steppingClock, tempDataDir } from './audit-fixtures';

async function lines(dataDir: string): Promise<string[]> {
  return (await readFile(auditLogPath(dataDir), 'utf8')).split('\n').filter(Boolean);
}

describe('AuditLog', () => {
  it('appends chained records to a 0600 file in a 0700 directory, and they verify', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir, { now: steppingClock('2026-11-02T10:00:00Z') });
    const first = await log.append({ type: 'session.code-issued', actor: 'agent', data: { n: 1 } });
    const second = await log.append({
      type: 'session.accepted',
      sessionId: 's1',
      actor: 'approver',
      data: {},
    });
    await log.close();

    expect(first).toMatchObject({
      seq: 1,
      prevHash: AUDIT_GENESIS_HASH,
      time: '2026-11-02T10:00:00.000Z',
    });
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe(computeRecordHash(second));
    expect((await stat(join(dataDir, 'audit'))).mode & 0o777).toBe(0o700);
    expect((await stat(auditLogPath(dataDir))).mode & 0o777).toBe(0o600);
    const stored = (await lines(dataDir)).map((l) => AuditRecord.parse(JSON.parse(l)));
    expect(stored).toEqual([first, second]);
    expect(await verifyAuditLog(auditLogPath(dataDir))).toEqual({
      ok: true,
      count: 2,
      lastHash: second.hash,
    });
  });

  it('verifies records whose data holds keys named like record fields', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.append({
      type: 'file.read',
      data: { a: { b: 1, prevHash: 'x', hash: 'y' }, hash: 'z', seq: 9, quote: '","prevHash":"' },
    });
    await log.append({ type: 'file.read', data: { prevHash: AUDIT_GENESIS_HASH } });
    await log.close();
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: 2 });
  });

  it('continues the chain after reopening', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    const a = await log.append({ type: 'session.ended', sessionId: 's', data: { by: 'agent' } });
    await log.close();
    const again = await AuditLog.open(dataDir);
    expect(again.lastSeq).toBe(1);
    expect(again.lastHash).toBe(a.hash);
    const b = await again.append({
      type: 'file.read',
      sessionId: 's',
      data: { sha256: sha256Hex('x') },
    });
    await again.close();
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: 2 });
  });

  it('keeps call order and the chain when appends are called concurrently', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    const records = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        log.append({ type: 'action.result', sessionId: 's', data: { i } }),
      ),
    );
    await log.close();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(records.map((r) => r.data.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const stored = (await lines(dataDir)).map((l) => JSON.parse(l).data.i);
    expect(stored).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: 200 });
  });

  it('refuses contents, non-JSON data and malformed events with a TypeError', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    const big = 'x'.repeat(5000);
    await expect(log.append({ type: 'file.read', data: { content: big } })).rejects.toThrow(
      TypeError,
    );
    await expect(
      log.append({ type: 'file.read', data: { nested: [{ content: big }] } }),
    ).rejects.toThrow(TypeError);
    await expect(
      log.append({ type: 'file.read', data: { when: new Date() as never } }),
    ).rejects.toThrow(TypeError);
    await expect(log.append({ type: 'file.read', data: { n: Number.NaN } })).rejects.toThrow(
      TypeError,
    );
    await expect(log.append({ type: 'Bad Type', data: {} })).rejects.toThrow(TypeError);
    await expect(log.append({ type: 'nodot', data: {} })).rejects.toThrow(TypeError);
    await expect(
      log.append({ type: 'chat', data: { direction: 'in', length: 3, text: 'hey' } }),
    ).rejects.toThrow(TypeError);
    await expect(log.append({ type: 'action.decided', data: { allowed: 'yes' } })).rejects.toThrow(
      TypeError,
    );
    // Nothing was written, and the log still works.
    const ok = await log.append({ type: 'fix.applied', data: { id: 'fix-1' } });
    await log.close();
    expect(ok.seq).toBe(1);
  });

  it('moves a torn last line (no newline) aside on open, records it, and the chain verifies', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    for (let i = 0; i < 3; i++) await log.append({ type: 'action.result', data: { i } });
    await log.close();
    // A crash in the middle of the fourth append: half a line reached the disk.
    const whole = (await lines(dataDir))[2]!;
    const half = whole.slice(0, Math.floor(whole.length / 2));
    await appendFile(auditLogPath(dataDir), half);

    const reopened = await AuditLog.open(dataDir, { now: steppingClock('2026-11-03T00:00:00Z') });
    expect(reopened.recovered).toMatchObject({ bytes: half.length, sha256: sha256Hex(half) });
    const next = await reopened.append({ type: 'action.result', data: { i: 3 } });
    await reopened.close();

    const stored = (await lines(dataDir)).map((l) => JSON.parse(l));
    expect(stored).toHaveLength(5);
    expect(stored[3]).toMatchObject({
      seq: 4,
      type: 'audit.recovered',
      actor: 'system',
      data: { bytes: half.length, offset: expect.any(Number), sha256: sha256Hex(half) },
    });
    expect(next.seq).toBe(5);
    const files = await readdir(join(dataDir, 'audit'));
    const torn = files.find((f) => f.startsWith('audit.jsonl.torn-'))!;
    expect(torn).toBe(stored[3].data.tornFile);
    expect(await readFile(join(dataDir, 'audit', torn), 'utf8')).toBe(half);
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: 5 });
  });

  it('treats a terminated last line that is not JSON (a block of zeros) as torn', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.append({ type: 'action.result', data: { i: 0 } });
    await log.close();
    await appendFile(auditLogPath(dataDir), Buffer.concat([Buffer.alloc(40), Buffer.from('\n')]));
    const reopened = await AuditLog.open(dataDir);
    expect(reopened.recovered?.bytes).toBe(41);
    await reopened.close();
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true, count: 2 });
  });

  it('refuses a torn tail that follows a line that is not JSON (not what one crash leaves)', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.append({ type: 'action.result', data: { i: 0 } });
    await log.close();
    await appendFile(auditLogPath(dataDir), 'garbage\n{"seq":');
    const error = await AuditLog.open(dataDir).catch((e: unknown) => e);
    expect(isAssentError(error, 'AUDIT_RECORD_INVALID')).toBe(true);
  });

  it('tightens the modes of an existing log and directory', async () => {
    const dataDir = await tempDataDir();
    await mkdir(join(dataDir, 'audit'), { mode: 0o755 });
    await writeFile(auditLogPath(dataDir), '', { mode: 0o644 });
    await chmod(join(dataDir, 'audit'), 0o755);
    await chmod(auditLogPath(dataDir), 0o644);
    const log = await AuditLog.open(dataDir);
    await log.close();
    expect((await stat(join(dataDir, 'audit'))).mode & 0o777).toBe(0o700);
    expect((await stat(auditLogPath(dataDir))).mode & 0o777).toBe(0o600);
  });

  it('refuses to continue a log whose last record was altered', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.append({ type: 'action.result', data: { bytes: 1 } });
    await log.append({ type: 'action.result', data: { bytes: 2 } });
    await log.close();
    const text = await readFile(auditLogPath(dataDir), 'utf8');
    await writeFile(auditLogPath(dataDir), text.replace('"bytes":2', '"bytes":3'));
    const error = await AuditLog.open(dataDir).catch((e: unknown) => e);
    expect(isAssentError(error, 'AUDIT_CHAIN_BROKEN')).toBe(true);
  });

  it('throws AUDIT_WRITE_FAILED when the disk refuses the write (ENOSPC from /dev/full)', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.close();
    await symlink('/dev/full', auditLogPath(dataDir) + '.full');
    await rename(auditLogPath(dataDir) + '.full', auditLogPath(dataDir));
    const full = await AuditLog.open(dataDir);
    const error = await full
      .append({ type: 'action.requested', data: { kind: 'file.read' } })
      .catch((e: unknown) => e);
    expect(isAssentError(error, 'AUDIT_WRITE_FAILED')).toBe(true);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    // Still refused afterwards: nothing is audited, so nothing may run.
    const again = await full
      .append({ type: 'action.requested', data: { kind: 'file.read' } })
      .catch((e: unknown) => e);
    expect(isAssentError(again, 'AUDIT_WRITE_FAILED')).toBe(true);
    expect(full.lastSeq).toBe(0);
    await full.close();
  });

  it('appendAll writes its records in chain order, together; a refused appendAll keeps none', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.append({ type: 'action.result', data: { n: 0 } });
    const [requested, decided] = await log.appendAll([
      { type: 'session.accepted', sessionId: 's1', actor: 'approver', data: { n: 1 } },
      { type: 'session.ended', sessionId: 's1', actor: 'agent', data: { n: 2 } },
    ]);
    expect(requested).toMatchObject({ seq: 2, type: 'session.accepted' });
    expect(decided).toMatchObject({ seq: 3, prevHash: requested!.hash });
    expect(log.lastHash).toBe(decided!.hash);
    await log.close();
    expect((await lines(dataDir)).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3]);
    expect((await verifyAuditLog(auditLogPath(dataDir))).ok).toBe(true);

    await symlink('/dev/full', auditLogPath(dataDir) + '.full');
    await rename(auditLogPath(dataDir) + '.full', auditLogPath(dataDir));
    const full = await AuditLog.open(dataDir);
    const error = await full
      .appendAll([
        { type: 'action.result', data: { n: 1 } },
        { type: 'action.result', data: { n: 2 } },
      ])
      .catch((e: unknown) => e);
    expect(isAssentError(error, 'AUDIT_WRITE_FAILED')).toBe(true);
    expect(full.lastSeq).toBe(0);
    await full.close();
  });

  it('throws AUDIT_WRITE_FAILED after close', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await log.close();
    const error = await log.append({ type: 'action.result', data: {} }).catch((e: unknown) => e);
    expect(isAssentError(error, 'AUDIT_WRITE_FAILED')).toBe(true);
  });
});
