import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { verifyAuditLog } from '../../../main/audit/audit-verify';
import { tempDataDir } from './audit-fixtures';

/** Runs the appending child until it has acknowledged `atLeast` records, then kills it with SIGKILL. */
async function appendThenKill(dataDir: string, atLeast: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ['bin/run-ts.js', 'test/main/audit/append-child.ts', dataDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let acknowledged = 0;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited early: ${code ?? signal}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines)
        if (/^\d+$/.test(line)) acknowledged = Math.max(acknowledged, Number(line));
      if (acknowledged >= atLeast && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => child.once('close', resolve));
  return acknowledged;
}

describe('AuditLog under kill -9', () => {
  it('keeps every acknowledged record and an intact chain across two killed writers', async () => {
    const dataDir = await tempDataDir();
    const first = await appendThenKill(dataDir, 150);
    const second = await appendThenKill(dataDir, first + 150);

    expect(await verifyAuditLog(auditLogPath(dataDir))).toMatchObject({ ok: true });
    const log = await AuditLog.open(dataDir);
    expect(log.lastSeq).toBeGreaterThanOrEqual(second);
    await log.close();
    const seqs: number[] = [];
    for await (const record of readAuditRecords(auditLogPath(dataDir))) seqs.push(record.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(second);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});
