import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { appendSession, tempDataDir } from './audit-fixtures';

const run = promisify(execFile);

async function agentAudit(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [
      'bin/assent-agent.js',
      'audit',
      ...args,
      '--data',
      dataDir,
    ]);
    return { code: 0, stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('assent-agent audit (spawned)', () => {
  it('verify prints OK with the count, then BROKEN at the altered record with exit code 1', async () => {
    const dataDir = await tempDataDir();
    const log = await AuditLog.open(dataDir);
    await appendSession(log, 'bin1', { ticket: 'T-9' });
    await log.close();
    expect(await agentAudit(dataDir, 'verify')).toEqual({
      code: 0,
      stdout: 'OK: 17 records, chain intact\n',
    });

    const file = auditLogPath(dataDir);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.splice(9, 1);
    await writeFile(file, lines.join('\n'));
    const broken = await agentAudit(dataDir, 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe(
      'BROKEN at record 10: sequence number is 11, expected 10 (a record was removed, inserted or moved) (AUDIT_CHAIN_BROKEN)\n',
    );
  });
});
