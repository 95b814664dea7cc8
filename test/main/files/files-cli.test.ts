// `assent-agent files backups|trash|restore` over a real data directory
// filled by real file actions.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFilesCommand } from '../../../main/files/files-cli';
import { createFilesWorld, sha256, type FilesWorld } from './files-world';

describe('assent-agent files', () => {
  let w: FilesWorld;
  let lines: string[];
  const run = (...argv: string[]) =>
    runFilesCommand(argv, { dataDir: w.dataDir, out: (l) => lines.push(l) });
  beforeEach(async () => {
    w = await createFilesWorld();
    lines = [];
  });
  afterEach(async () => {
    await w.close();
  });

  it('lists backups and the trash, and restores both', async () => {
    expect(await run('trash')).toBe(0);
    expect(lines).toEqual(['The trash is empty.']);
    const path = join(w.root, 'app.conf');
    await fsp.writeFile(path, 'v1\n');
    const up = await w.upload(Buffer.from('v2\n'));
    const edit = await w.request('file.edit', { path, baseSha256: sha256('v1\n'), ...up });
    const backupId = edit.type === 'action.result' ? String(edit.result['backupId']) : '';
    lines = [];
    expect(await run('backups')).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(backupId);
    expect(lines[0]).toContain(path);
    expect(lines[0]).toContain('eve@acme.example');
    // Bring the old version back; the version it replaces is kept.
    lines = [];
    expect(await run('restore', backupId)).toBe(0);
    expect(await fsp.readFile(path, 'utf8')).toBe('v1\n');
    expect(lines[1]).toMatch(/kept as backup-/);
    // Trash: delete, then restore to another place.
    const del = await w.request('file.delete', { path });
    const trashId = del.type === 'action.result' ? String(del.result['trashId']) : '';
    lines = [];
    expect(await run('trash')).toBe(0);
    expect(lines[0]).toContain(trashId);
    expect(await run('restore', trashId, '--to', join(w.root, 'copy.conf'))).toBe(0);
    expect(await fsp.readFile(join(w.root, 'copy.conf'), 'utf8')).toBe('v1\n');
    expect(await fsp.readdir(w.root)).toEqual(['copy.conf']);
  });

  it('refuses with codes: unknown id, conflict, symlink in place, usage', async () => {
    expect(await run('restore', 'trash-doesnotexist')).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FILE_TRASH_NOT_FOUND/);
    await fsp.writeFile(join(w.root, 'f'), 'x');
    const del = await w.request('file.delete', { path: join(w.root, 'f') });
    const trashId = del.type === 'action.result' ? String(del.result['trashId']) : '';
    await fsp.writeFile(join(w.root, 'f'), 'new');
    expect(await run('restore', trashId)).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FILE_RESTORE_CONFLICT/);
    // A backup restore never writes through a link put in the file's place.
    await fsp.writeFile(join(w.root, 'g'), 'g1');
    const up = await w.upload(Buffer.from('g2'));
    const edit = await w.request('file.edit', {
      path: join(w.root, 'g'),
      baseSha256: sha256('g1'),
      ...up,
    });
    const backupId = edit.type === 'action.result' ? String(edit.result['backupId']) : '';
    await fsp.rm(join(w.root, 'g'));
    await fsp.symlink(w.sentinel, join(w.root, 'g'));
    expect(await run('restore', backupId)).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FILE_SYMLINK_REFUSED/);
    expect(await fsp.readFile(w.sentinel, 'utf8')).toBe('sentinel: must never change\n');
    expect(await run('bogus')).toBe(2);
    expect(await run('restore')).toBe(2);
  });
});
