import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isAssentError } from '../../../protocol/errors';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { tempDataDir } from './audit-fixtures';

const lockFile = (dataDir: string): string => `${auditLogPath(dataDir)}.lock`;

describe('one writer per audit log', () => {
  it('refuses a second open in the same process until the first is closed', async () => {
    const dataDir = await tempDataDir();
    const first = await AuditLog.open(dataDir);
    expect(await readFile(lockFile(dataDir), 'utf8')).toBe(`${process.pid}\n`);
    const error = await AuditLog.open(dataDir).catch((e: unknown) => e);
    expect(isAssentError(error, 'AUDIT_WRITE_FAILED')).toBe(true);
    await first.append({ type: 'action.result', data: {} });
    await first.close();
    await expect(access(lockFile(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
    const second = await AuditLog.open(dataDir);
    expect(second.lastSeq).toBe(1);
    await second.close();
  });

  it('refuses while another live process holds the lock, and takes it over once that process is gone', async () => {
    const dataDir = await tempDataDir();
    await (await AuditLog.open(dataDir)).close();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    const gone = new Promise((resolve) => other.once('exit', resolve));
    try {
      await writeFile(lockFile(dataDir), `${other.pid}\n`);
      const error = await AuditLog.open(dataDir).catch((e: unknown) => e);
      expect(isAssentError(error, 'AUDIT_WRITE_FAILED')).toBe(true);
      expect((error as Error).message).toContain(`process ${other.pid}`);
    } finally {
      other.kill('SIGKILL');
      await gone;
    }
    const log = await AuditLog.open(dataDir);
    expect(await readFile(lockFile(dataDir), 'utf8')).toBe(`${process.pid}\n`);
    await log.close();
  });
});
