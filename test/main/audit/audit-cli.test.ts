import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../../platform/signing';
import { monthlyReport } from '../../../main/audit/audit-history';
import { runAuditCommand } from '../../../main/audit/audit-cli';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { toCsv } from '../../../main/audit/usage-csv';
import { appendSession, steppingClock, tempDataDir } from './audit-fixtures';

const device = generateSigningKeyPair();

async function run(
  argv: string[],
  dataDir: string,
  devicePublicKey?: string,
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runAuditCommand(argv, {
    dataDir,
    out: (line) => lines.push(line),
    ...(devicePublicKey === undefined ? {} : { devicePublicKey }),
  });
  return { code, lines };
}

async function withSessions(): Promise<string> {
  const dataDir = await tempDataDir();
  const log = await AuditLog.open(dataDir, { now: steppingClock('2026-11-20T14:00:00Z', 30_000) });
  await appendSession(log, 'c1', { ticket: 'T-\u202eevil' });
  await log.summarizeSession('c1', device.privateKey);
  await appendSession(log, 'c2', { ticket: 'T-2' });
  await log.summarizeSession('c2', device.privateKey);
  await log.close();
  return dataDir;
}

describe('runAuditCommand', () => {
  it('verify: OK on an empty data directory and on a real log', async () => {
    expect(await run(['verify'], await tempDataDir())).toEqual({
      code: 0,
      lines: ['OK: 0 records, chain intact'],
    });
    const dataDir = await withSessions();
    expect(await run(['verify'], dataDir, device.publicKey)).toEqual({
      code: 0,
      lines: ['OK: 36 records, chain intact'],
    });
  });

  it('verify: BROKEN at the first altered record', async () => {
    const dataDir = await withSessions();
    const file = auditLogPath(dataDir);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[5] = lines[5]!.replace('"allowed":true', '"allowed":false');
    await writeFile(file, lines.join('\n'));
    const result = await run(['verify'], dataDir);
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      'BROKEN at record 6: hash does not match the record content (AUDIT_CHAIN_BROKEN)',
    ]);
  });

  it('verify: records cut off the end are caught by the signed summary files', async () => {
    const dataDir = await withSessions();
    const file = auditLogPath(dataDir);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, lines.slice(0, -1).join('\n') + '\n');
    const result = await run(['verify'], dataDir);
    expect(result.code).toBe(1);
    expect(result.lines[0]).toMatch(
      /^BROKEN at record 36: the log ends at record 35 but summary c2\.json vouches for record 36/,
    );
  });

  it('verify: a summary file that does not verify against the device key is reported', async () => {
    const dataDir = await withSessions();
    const result = await run(['verify'], dataDir, generateSigningKeyPair().publicKey);
    expect(result).toEqual({
      code: 1,
      lines: [
        'BROKEN summary c1.json: its signature does not verify against the device key (AUDIT_SUMMARY_INVALID)',
      ],
    });
  });

  it('verify: a summary file that is not a summary record of its session is reported', async () => {
    const dataDir = await withSessions();
    const dir = join(dataDir, 'audit', 'summaries');
    await writeFile(join(dir, 'c3.json'), await readFile(join(dir, 'c2.json')));
    expect(await run(['verify'], dataDir)).toEqual({
      code: 1,
      lines: [
        'BROKEN summary c3.json: not the summary record of this session (AUDIT_RECORD_INVALID)',
      ],
    });
    await writeFile(join(dir, 'c3.json'), '{"half":');
    expect((await run(['verify'], dataDir)).lines).toEqual([
      'BROKEN summary c3.json: not valid JSON (AUDIT_RECORD_INVALID)',
    ]);
  });

  it('show: the last records, one session, with invisible characters made visible', async () => {
    const dataDir = await withSessions();
    const last = await run(['show', '--last', '2'], dataDir);
    expect(last.code).toBe(0);
    expect(last.lines).toHaveLength(2);
    expect(last.lines[0]).toMatch(
      /^#35 2026-11-20T14:17:00.000Z session.ended \[c2\] by engineer /,
    );
    expect(last.lines[1]).toMatch(/^#36 .* session.summary \[c2\] by agent /);
    const one = await run(['show', '--session', 'c1'], dataDir);
    expect(one.lines).toHaveLength(17);
    expect(one.lines.every((l) => l.includes('[c1]'))).toBe(true);
    expect(one.lines.join('\n')).toContain('T-\\u202eevil');
    expect(one.lines.join('\n')).not.toContain('\u202e');
    expect(await run(['show'], await tempDataDir())).toEqual({ code: 0, lines: ['No records.'] });
  });

  it('sessions: one line a session with counts and the summary state', async () => {
    const dataDir = await withSessions();
    const result = await run(['sessions'], dataDir, device.publicKey);
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(2);
    expect(result.lines[1]).toBe(
      '2026-11-20T14:10:30.000Z c2 7 min Erin Engineer <erin@vendor.example> ticket T-2 (ended): 4 requested, 3 allowed, 1 denied, 1 failed, 1 chat; summary valid',
    );
  });

  it('report: a month on screen, or as CSV in a 0600 file', async () => {
    const dataDir = await withSessions();
    const screen = await run(['report', '--month', '2026-11'], dataDir, device.publicKey);
    expect(screen.code).toBe(0);
    expect(screen.lines.at(-1)).toBe('2026-11: 2 sessions, 14 minutes');
    const csvFile = join(dataDir, 'nov.csv');
    const written = await run(
      ['report', '--month', '2026-11', '--csv', csvFile],
      dataDir,
      device.publicKey,
    );
    expect(written).toEqual({ code: 0, lines: [`Wrote 2 sessions of 2026-11 to ${csvFile}`] });
    const rows = await monthlyReport(auditLogPath(dataDir), {
      year: 2026,
      month: 11,
      devicePublicKey: device.publicKey,
    });
    expect(await readFile(csvFile, 'utf8')).toBe(toCsv(rows));
    expect((await stat(csvFile)).mode & 0o777).toBe(0o600);
    const unwritable = await run(
      ['report', '--month', '2026-11', '--csv', join(dataDir, 'no', 'such', 'dir.csv')],
      dataDir,
    );
    expect(unwritable.code).toBe(1);
    expect(unwritable.lines[0]).toMatch(/^error IO_FAILED: .* could not be written: /);
  });

  it('answers wrong arguments with the usage and exit code 2', async () => {
    const dataDir = await tempDataDir();
    for (const argv of [
      [],
      ['nonsense'],
      ['report'],
      ['report', '--month', '2026-13'],
      ['show', '--last', '0'],
      ['show', '--bogus', 'x'],
      ['show', '--last'],
    ]) {
      const result = await run(argv, dataDir);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.lines[0]).toMatch(/^usage: assent-agent audit/);
    }
  });
});
