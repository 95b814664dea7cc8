import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../protocol/audit';
import { isAssentError } from '../../../protocol/errors';
import { SIGNING_DOMAINS } from '../../../protocol/identity';
import { generateSigningKeyPair, publicKeyFromRaw, signPayload } from '../../../platform/signing';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { verifyAuditLog } from '../../../main/audit/audit-verify';
import {
  buildSessionSummary,
  signSessionSummary,
  verifySessionSummary,
} from '../../../main/audit/session-summary';
import { readSessionSummary, summariesDir } from '../../../main/audit/summary-files';
import { ENGINEER, appendSession, steppingClock, tempDataDir } from './audit-fixtures';

async function allRecords(dataDir: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const record of readAuditRecords(auditLogPath(dataDir))) records.push(record);
  return records;
}

async function loggedSessions(): Promise<{ dataDir: string; log: AuditLog }> {
  const dataDir = await tempDataDir();
  const log = await AuditLog.open(dataDir, { now: steppingClock('2026-11-10T08:00:00Z', 60_000) });
  await appendSession(log, 'sessA', { ticket: 'T-100' });
  await appendSession(log, 'sessB', { accept: false });
  return { dataDir, log };
}

describe('session summaries', () => {
  it('computes start, end, duration, engineer, ticket and counts from the session records', async () => {
    const { dataDir, log } = await loggedSessions();
    await log.close();
    const records = await allRecords(dataDir);
    const accepted = records.find((r) => r.sessionId === 'sessA' && r.type === 'session.accepted')!;
    const ended = records.find((r) => r.sessionId === 'sessA' && r.type === 'session.ended')!;
    expect(buildSessionSummary(records, 'sessA')).toEqual({
      sessionId: 'sessA',
      start: accepted.time,
      end: ended.time,
      durationMs: Date.parse(ended.time) - Date.parse(accepted.time),
      engineer: ENGINEER,
      ticket: 'T-100',
      accepted: true,
      ended: true,
      counts: {
        requested: 4,
        allowed: 3,
        denied: 1,
        failed: 1,
        byKind: { 'file.read': 2, 'file.write': 1, 'terminal.command': 1 },
      },
      chatMessages: 1,
    });
    const refused = buildSessionSummary(records, 'sessB');
    expect(refused).toMatchObject({ accepted: false, ended: true, counts: { requested: 0 } });
    expect(refused.ticket).toBeUndefined();
    expect(() => buildSessionSummary(records, 'nope')).toThrow(TypeError);
  });

  it('reads the engineer from flat fields and ignores a null ticket (the agent session writes these)', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir, { now: steppingClock('2026-11-10T08:00:00Z') });
    const sessionId = '0123456789abcdef';
    const { name, email, fingerprint } = ENGINEER;
    await log.append({
      type: 'session.started',
      sessionId,
      data: { ticket: null, relay: 'ws://127.0.0.1:1' },
    });
    await log.append({
      type: 'session.handshake',
      sessionId,
      data: { engineer: name, fingerprint, serial: 'a'.repeat(32) },
    });
    await log.append({
      type: 'session.requested',
      sessionId,
      data: { engineer: name, email, fingerprint, reason: null, ticket: null, rules: null },
    });
    await log.append({
      type: 'session.accepted',
      sessionId,
      actor: 'approver',
      data: { approver: 'ann', engineer: fingerprint, sas: '123456' },
    });
    await log.append({
      type: 'chat',
      sessionId,
      actor: 'engineer',
      data: { from: 'engineer', length: 12 },
    });
    await log.append({ type: 'session.ended', sessionId, data: { by: 'agent', accepted: true } });
    await log.close();
    const summary = buildSessionSummary(await allRecords(dataDir), sessionId);
    expect(summary).toMatchObject({
      engineer: { name, email, fingerprint },
      accepted: true,
      ended: true,
      chatMessages: 1,
      durationMs: 2000,
    });
    expect(summary.ticket).toBeUndefined();
  });

  it('signs with the device key; tampered summaries and other keys do not verify', async () => {
    const { dataDir, log } = await loggedSessions();
    await log.close();
    const device = generateSigningKeyPair();
    const other = generateSigningKeyPair();
    const summary = buildSessionSummary(await allRecords(dataDir), 'sessA');
    const signed = signSessionSummary(summary, device.privateKey, { seq: 3, hash: 'a'.repeat(64) });

    expect(verifySessionSummary(signed, device.publicKey)).toBe(true);
    const unanchored = signSessionSummary(summary, device.privateKey);
    expect(unanchored.log).toEqual({ seq: 0, hash: '0'.repeat(64) });
    expect(verifySessionSummary(unanchored, device.publicKey)).toBe(true);
    expect(verifySessionSummary(signed, publicKeyFromRaw(device.publicKey))).toBe(true);
    expect(verifySessionSummary(signed, other.publicKey)).toBe(false);
    const moreAllowed = {
      ...signed,
      summary: { ...summary, counts: { ...summary.counts, allowed: 0 } },
    };
    expect(verifySessionSummary(moreAllowed, device.publicKey)).toBe(false);
    const reanchored = { ...signed, log: { seq: 2, hash: signed.log.hash } };
    expect(verifySessionSummary(reanchored, device.publicKey)).toBe(false);
    // A signature made by the same key for another purpose is not a summary signature.
    const { signature: _s, ...body } = signed;
    const wrongDomain = {
      ...body,
      signature: signPayload(device.privateKey, SIGNING_DOMAINS.certificate, body),
    };
    expect(verifySessionSummary(wrongDomain, device.publicKey)).toBe(false);
    expect(verifySessionSummary({ nonsense: true }, device.publicKey)).toBe(false);
  });

  it('summarizeSession appends a session.summary record and keeps it in summaries/<id>.json', async () => {
    const { dataDir, log } = await loggedSessions();
    const device = generateSigningKeyPair();
    const before = log.lastSeq;
    const signed = await log.summarizeSession('sessA', device.privateKey);
    await log.close();

    expect(signed.log).toEqual({ seq: before, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(signed.summary.counts.requested).toBe(4);
    const records = await allRecords(dataDir);
    const last = records.at(-1)!;
    expect(last).toMatchObject({
      seq: before + 1,
      type: 'session.summary',
      sessionId: 'sessA',
      data: signed,
    });
    expect(records[before - 1]!.hash).toBe(signed.log.hash);
    const fileText = await readFile(join(summariesDir(dataDir), 'sessA.json'), 'utf8');
    expect(JSON.parse(fileText)).toEqual(last);
    expect(await readSessionSummary(dataDir, 'sessA', device.publicKey)).toEqual(signed);
    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({
      ok: true,
      count: before + 1,
    });
  });

  it('summarizeSession refuses to sign usage from a log that does not verify', async () => {
    const { dataDir, log } = await loggedSessions();
    const file = auditLogPath(dataDir);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"allowed":false', '"allowed":!!!!'));
    const error = await log
      .summarizeSession('sessA', generateSigningKeyPair().privateKey)
      .catch((e: unknown) => e);
    await log.close();
    expect(isAssentError(error, 'AUDIT_CHAIN_BROKEN')).toBe(true);
    expect(await readFile(file, 'utf8')).not.toContain('session.summary');
  });

  it('readSessionSummary refuses a tampered file, another device key and a missing summary', async () => {
    const { dataDir, log } = await loggedSessions();
    const device = generateSigningKeyPair();
    await log.summarizeSession('sessA', device.privateKey);
    await log.close();
    const code = async (promise: Promise<unknown>): Promise<unknown> =>
      promise.then(
        () => 'resolved',
        (e: unknown) => (isAssentError(e) ? e.code : e),
      );

    expect(
      await code(readSessionSummary(dataDir, 'sessA', generateSigningKeyPair().publicKey)),
    ).toBe('AUDIT_SUMMARY_INVALID');
    expect(await code(readSessionSummary(dataDir, 'sessB', device.publicKey))).toBe(
      'AUDIT_SUMMARY_INVALID',
    );
    const path = join(summariesDir(dataDir), 'sessA.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"denied":1', '"denied":0'));
    expect(await code(readSessionSummary(dataDir, 'sessA', device.publicKey))).toBe(
      'AUDIT_SUMMARY_INVALID',
    );
    await expect(readSessionSummary(dataDir, '../etc', device.publicKey)).rejects.toThrow(
      TypeError,
    );
  });
});
