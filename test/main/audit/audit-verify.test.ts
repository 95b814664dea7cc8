import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuditRecord } from '../../../protocol/audit';
import { canonicalJson } from '../../../protocol/identity';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { computeRecordHash } from '../../../main/audit/audit-record';
import { verifyAuditLog } from '../../../main/audit/audit-verify';
import { steppingClock, tempDataDir } from './audit-fixtures';

let file: string;
let original: string[];

async function writeLines(lines: string[], trailingNewline = true): Promise<void> {
  await writeFile(file, lines.join('\n') + (trailingNewline ? '\n' : ''));
}

function parse(line: string): AuditRecord {
  return AuditRecord.parse(JSON.parse(line));
}

function reseal(record: Omit<AuditRecord, 'hash'>): string {
  return canonicalJson({ ...record, hash: computeRecordHash(record) });
}

beforeEach(async () => {
  const dataDir = await tempDataDir();
  const log = await AuditLog.open(dataDir, { now: steppingClock('2026-11-05T09:00:00Z') });
  for (let i = 1; i <= 10; i++)
    await log.append({
      type: 'action.result',
      sessionId: 's1',
      actor: 'agent',
      data: { bytes: i },
    });
  await log.close();
  file = auditLogPath(dataDir);
  original = (await readFile(file, 'utf8')).trimEnd().split('\n');
});

describe('verifyAuditLog', () => {
  it('reports OK with the count and the last hash for an intact log', async () => {
    expect(await verifyAuditLog(file)).toEqual({
      ok: true,
      count: 10,
      lastHash: parse(original[9]!).hash,
    });
  });

  it('reports OK with 0 records for a missing or empty log', async () => {
    expect(await verifyAuditLog(join(file, '..', 'none.jsonl'))).toMatchObject({
      ok: true,
      count: 0,
    });
    await writeFile(file, '');
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true, count: 0 });
  });

  it('finds edited data at that record', async () => {
    const lines = [...original];
    lines[4] = lines[4]!.replace('"bytes":5', '"bytes":50');
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      count: 4,
      brokenAt: 5,
      code: 'AUDIT_CHAIN_BROKEN',
      reason: expect.stringContaining('hash'),
    });
  });

  it('finds edited data with a recomputed hash at the next record', async () => {
    const lines = [...original];
    const { hash: _hash, ...body } = parse(lines[4]!);
    lines[4] = reseal({ ...body, data: { bytes: 50 } });
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 6,
      code: 'AUDIT_CHAIN_BROKEN',
      reason: expect.stringContaining('prevHash'),
    });
  });

  it('finds an edited hash at that record', async () => {
    const lines = [...original];
    const record = parse(lines[4]!);
    lines[4] = canonicalJson({ ...record, hash: 'f'.repeat(64) });
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 5,
      code: 'AUDIT_CHAIN_BROKEN',
    });
  });

  it('finds a deleted record where it was', async () => {
    const lines = [...original];
    lines.splice(4, 1);
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      count: 4,
      brokenAt: 5,
      code: 'AUDIT_CHAIN_BROKEN',
      reason: expect.stringContaining('sequence number is 6, expected 5'),
    });
  });

  it('finds reordered records at the first moved one', async () => {
    const lines = [...original];
    [lines[4], lines[5]] = [lines[5]!, lines[4]!];
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 5,
      code: 'AUDIT_CHAIN_BROKEN',
    });
  });

  it('finds a copied record inserted into the log at the insertion', async () => {
    const lines = [...original];
    lines.splice(4, 0, lines[2]!);
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 5,
      code: 'AUDIT_CHAIN_BROKEN',
    });
  });

  it('finds a forged record, sealed to fit, at the first record that no longer links', async () => {
    const lines = [...original];
    const previous = parse(lines[3]!);
    lines.splice(
      4,
      0,
      reseal({
        seq: 5,
        time: previous.time,
        prevHash: previous.hash,
        type: 'action.decided',
        sessionId: 's1',
        actor: 'approver',
        data: { allowed: true },
      }),
    );
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      count: 5,
      brokenAt: 6,
      code: 'AUDIT_CHAIN_BROKEN',
    });
  });

  it('finds a file truncated inside a record at that record', async () => {
    const text = original.join('\n') + '\n';
    const cut = text.indexOf(original[6]!) + 30;
    await writeFile(file, text.slice(0, cut));
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      count: 6,
      brokenAt: 7,
      code: 'AUDIT_RECORD_INVALID',
      reason: expect.stringContaining('incomplete'),
    });
  });

  it('finds a line that is not JSON, one off the schema, and one not in canonical form', async () => {
    const lines = [...original];
    lines[2] = 'hello';
    await writeLines(lines);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 3,
      code: 'AUDIT_RECORD_INVALID',
    });

    const schema = [...original];
    const { hash: _hash, ...body } = parse(schema[2]!);
    schema[2] = reseal({ ...body, extra: 1 } as never);
    await writeLines(schema);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 3,
      code: 'AUDIT_RECORD_INVALID',
      reason: expect.stringContaining('schema'),
    });

    const spaced = [...original];
    spaced[2] = spaced[2]!.replace('{', '{ ');
    await writeLines(spaced);
    expect(await verifyAuditLog(file)).toMatchObject({
      ok: false,
      brokenAt: 3,
      code: 'AUDIT_RECORD_INVALID',
      reason: expect.stringContaining('canonical'),
    });
  });

  it('checks anchors: a record that differs from one vouched for, and records cut off the end', async () => {
    const last = parse(original[9]!);
    expect(
      await verifyAuditLog(file, { anchors: [{ seq: 10, hash: last.hash, source: 'test' }] }),
    ).toMatchObject({
      ok: true,
    });
    expect(
      await verifyAuditLog(file, { anchors: [{ seq: 4, hash: last.hash, source: 'summary x' }] }),
    ).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringContaining('summary x') });
    await writeLines(original.slice(0, 8));
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true, count: 8 });
    expect(
      await verifyAuditLog(file, { anchors: [{ seq: 10, hash: last.hash, source: 'summary y' }] }),
    ).toMatchObject({
      ok: false,
      count: 8,
      brokenAt: 9,
      code: 'AUDIT_CHAIN_BROKEN',
      reason: expect.stringContaining('cut off'),
    });
  });
});
