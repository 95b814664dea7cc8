// Each file action through the real router, consent engine, rules and audit log.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { auditLogPath } from '../../../main/audit/audit-log';
import { FILE_CHUNK_BYTES } from '../../../protocol/files';
import { createFilesWorld, sha256, type Final, type FilesWorld } from './files-world';

function ok(final: Final): Record<string, unknown> {
  if (final.type !== 'action.result')
    throw new Error(`expected a result, got ${JSON.stringify(final)}`);
  return final.result;
}
function code(final: Final): string {
  if (final.type === 'action.result')
    throw new Error(`expected an error, got ${JSON.stringify(final)}`);
  return final.code;
}

describe('file actions', () => {
  let w: FilesWorld;
  beforeEach(async () => {
    w = await createFilesWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it('list: sorted pages with sizes, times and types', async () => {
    await fsp.writeFile(join(w.root, 'b.txt'), 'bb');
    await fsp.writeFile(join(w.root, 'a.txt'), 'a');
    await fsp.writeFile(join(w.root, 'c.txt'), 'ccc');
    await fsp.mkdir(join(w.root, 'dir'));
    await fsp.symlink('a.txt', join(w.root, 'link'));
    const page1 = ok(await w.request('file.list', { path: w.root, limit: 2 }));
    expect(page1['total']).toBe(5);
    expect((page1['entries'] as Array<{ name: string }>).map((e) => e.name)).toEqual([
      'a.txt',
      'b.txt',
    ]);
    expect(page1['nextOffset']).toBe(2);
    const page2 = ok(await w.request('file.list', { path: w.root, offset: 2, limit: 10 }));
    const entries = page2['entries'] as Array<{
      name: string;
      type: string;
      size: number;
      modifiedAt: number;
    }>;
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['c.txt', 'file'],
      ['dir', 'directory'],
      ['link', 'symlink'],
    ]);
    expect(entries[0]!.size).toBe(3);
    expect(entries[0]!.modifiedAt).toBeGreaterThan(0);
    expect(page2['nextOffset']).toBeUndefined();
    const bySize = ok(await w.request('file.list', { path: w.root, sort: 'size', order: 'desc' }));
    expect((bySize['entries'] as Array<{ name: string }>)[0]!.name).not.toBe('a.txt');
  });

  it('stat: type, size and links; a link is described, not followed', async () => {
    await fsp.writeFile(join(w.root, 'f'), 'hello');
    await fsp.symlink(w.sentinel, join(w.root, 'out'));
    const st = ok(await w.request('file.stat', { path: join(w.root, 'f') }));
    expect(st).toMatchObject({ type: 'file', size: 5, links: 1, name: 'f' });
    const link = ok(await w.request('file.stat', { path: join(w.root, 'out') }));
    expect(link['type']).toBe('symlink');
    expect(code(await w.request('file.stat', { path: join(w.root, 'missing') }))).toBe(
      'FILE_NOT_FOUND',
    );
  });

  it('read: streams chunks, whole-file hash, resumes from an offset; audited with digests', async () => {
    const data = Buffer.alloc(3 * FILE_CHUNK_BYTES + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    await fsp.writeFile(join(w.root, 'big.bin'), data);
    const r = ok(await w.request('file.read', { path: join(w.root, 'big.bin'), streamId: 11 }));
    expect(r).toMatchObject({
      size: data.length,
      offset: 0,
      sent: data.length,
      sha256: sha256(data),
    });
    expect(w.link.received(11).equals(data)).toBe(true);
    expect(w.link.streams.get(11)!.every((c) => c.length <= FILE_CHUNK_BYTES)).toBe(true);
    const resumed = ok(
      await w.request('file.read', { path: join(w.root, 'big.bin'), offset: 1000, streamId: 13 }),
    );
    expect(resumed).toMatchObject({ offset: 1000, sent: data.length - 1000, sha256: sha256(data) });
    expect(w.link.received(13).equals(data.subarray(1000))).toBe(true);
    expect(w.link.sent.some((m) => m.type === 'action.progress')).toBe(true);
    const records = [];
    for await (const rec of readAuditRecords(auditLogPath(w.dataDir))) records.push(rec);
    const read = records.find((rec) => rec.type === 'file.read')!;
    expect(read.data['sha256']).toBe(sha256(data));
    expect(JSON.stringify(records)).not.toContain(data.subarray(0, 64).toString('base64'));
  });

  it('read: the preview shows canonical path, size; offset past the end is refused', async () => {
    await fsp.writeFile(join(w.root, 'x'), 'abc');
    ok(await w.request('file.read', { path: join(w.root, 'x'), streamId: 3 }));
    expect(w.prompts[0]!.preview).toMatchObject({
      kind: 'file.read',
      path: { canonical: join(w.root, 'x'), hasInvisible: false },
      file: { size: 3 },
    });
    expect(
      code(await w.request('file.read', { path: join(w.root, 'x'), offset: 4, streamId: 5 })),
    ).toBe('USAGE');
  });

  it('find: by name and by content, bounded by results', async () => {
    await fsp.mkdir(join(w.root, 'logs/old'), { recursive: true });
    await fsp.writeFile(join(w.root, 'logs/app.log'), 'line one\nERROR two\n');
    await fsp.writeFile(join(w.root, 'logs/old/app.1.log'), 'fine\n');
    await fsp.writeFile(join(w.root, 'readme.md'), 'ERROR in docs\n');
    const byName = ok(await w.request('file.find', { path: w.root, name: '*.log' }));
    expect((byName['matches'] as Array<{ path: string }>).map((m) => m.path).sort()).toEqual([
      join(w.root, 'logs/app.log'),
      join(w.root, 'logs/old/app.1.log'),
    ]);
    const byContent = ok(await w.request('file.find', { path: w.root, content: 'ERROR' }));
    expect(byContent['matches']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: join(w.root, 'logs/app.log'), line: 2 }),
      ]),
    );
    expect((byContent['matches'] as unknown[]).length).toBe(2);
    const bounded = ok(await w.request('file.find', { path: w.root, name: '*', maxResults: 2 }));
    expect(bounded).toMatchObject({ truncated: true });
    expect((bounded['matches'] as unknown[]).length).toBe(2);
  });

  it('find: stops at its time budget (injected clock)', async () => {
    await w.close();
    let t = 0;
    w = await createFilesWorld({ now: () => (t += 1000) });
    for (let i = 0; i < 20; i++) await fsp.writeFile(join(w.root, `f${i}`), 'x');
    const r = ok(await w.request('file.find', { path: w.root, name: '*', timeoutMs: 5000 }));
    expect(r['timedOut']).toBe(true);
    expect((r['matches'] as unknown[]).length).toBeLessThan(20);
  });

  it('write: a new file from a staged upload; the digest binds the content hash', async () => {
    const content = Buffer.from('new file\nwith two lines\n');
    const up = await w.upload(content);
    const r = ok(await w.request('file.write', { path: join(w.root, 'new.txt'), ...up }));
    expect(r).toMatchObject({ size: content.length, sha256: sha256(content) });
    expect(await fsp.readFile(join(w.root, 'new.txt'))).toEqual(content);
    const preview = w.prompts[0]!.preview;
    expect(preview.change?.binary).toBe(false);
    expect(preview.change?.diff).toContain('+with two lines');
    expect(preview.file?.sha256).toBe(sha256(content));
    // The upload was used up; something exists now.
    expect(code(await w.request('file.write', { path: join(w.root, 'new.txt'), ...up }))).toBe(
      'FILE_UPLOAD_INVALID',
    );
    const up2 = await w.upload(Buffer.from('again'));
    expect(code(await w.request('file.write', { path: join(w.root, 'new.txt'), ...up2 }))).toBe(
      'FILE_EXISTS',
    );
    expect(await fsp.readdir(join(w.dataDir, 'files', 'uploads'))).toHaveLength(1);
  });

  it('write: a request that does not match the upload, or claims a smaller size, is refused', async () => {
    const up = await w.upload(Buffer.from('12345'));
    expect(code(await w.request('file.write', { path: join(w.root, 'a'), ...up, size: 4 }))).toBe(
      'FILE_UPLOAD_INVALID',
    );
    expect(
      code(
        await w.request('file.write', { path: join(w.root, 'a'), ...up, sha256: 'a'.repeat(64) }),
      ),
    ).toBe('FILE_UPLOAD_INVALID');
    expect(await fsp.readdir(w.root)).toEqual([]);
  });

  it('write: an upload announced without its hash is hashed as it arrives; the request must name that hash', async () => {
    const content = Buffer.from('streamed and hashed on the way\n');
    const up = await w.upload(content, { announceHash: false });
    expect(up.sha256).toBe(sha256(content));
    // A request naming another hash than the agent computed is refused before any prompt.
    expect(
      code(
        await w.request('file.write', { path: join(w.root, 'b'), ...up, sha256: sha256('other') }),
      ),
    ).toBe('FILE_UPLOAD_INVALID');
    expect(w.prompts).toHaveLength(0);
    const r = ok(await w.request('file.write', { path: join(w.root, 'b'), ...up }));
    expect(r).toMatchObject({ size: content.length, sha256: sha256(content) });
    expect(w.prompts[0]!.preview.file?.sha256).toBe(sha256(content));
    expect(await fsp.readFile(join(w.root, 'b'))).toEqual(content);
  });

  it('write: an upload whose bytes do not match its announced hash is refused when it completes', async () => {
    w.domain.handleMessage({ type: 'file.upload', upload: 41, size: 3, sha256: sha256('abc') });
    await w.link.waitFor((m): m is never => m.type === 'file.upload-ready' && m.upload === 41);
    w.link.push(41, Buffer.from('abd'));
    const done = await w.link.waitFor(
      (m): m is Extract<typeof m, { type: 'file.upload-done' }> =>
        m.type === 'file.upload-done' && m.upload === 41,
    );
    expect(done).toMatchObject({ ok: false, code: 'FILE_UPLOAD_INVALID' });
    expect(await fsp.readdir(join(w.dataDir, 'files', 'uploads'))).toEqual([]);
  });

  it('write: the agent enforces maxWriteBytes on the upload, whatever the engineer claims', async () => {
    await w.close();
    w = await createFilesWorld({ rules: { maxWriteBytes: 10 } });
    await expect(w.upload(Buffer.alloc(11))).rejects.toThrow('FILE_TOO_LARGE');
    // Declares 4 bytes, sends 11: refused while receiving.
    w.domain.handleMessage({
      type: 'file.upload',
      upload: 99,
      size: 4,
      sha256: sha256(Buffer.alloc(4)),
    });
    await w.link.waitFor((m): m is never => m.type === 'file.upload-ready' && m.upload === 99);
    w.link.push(99, Buffer.alloc(11));
    const done = await w.link.waitFor(
      (m): m is Extract<typeof m, { type: 'file.upload-done' }> =>
        m.type === 'file.upload-done' && m.upload === 99,
    );
    expect(done).toMatchObject({ ok: false, code: 'FILE_UPLOAD_INVALID' });
  });

  it('edit: diff preview, backup of the old version, refused when the base changed', async () => {
    const path = join(w.root, 'conf.ini');
    const old = Buffer.from('a=1\nb=2\nc=3\n');
    await fsp.writeFile(path, old);
    await fsp.chmod(path, 0o640);
    const next = Buffer.from('a=1\nb=20\nc=3\n');
    const up = await w.upload(next);
    const r = ok(await w.request('file.edit', { path, baseSha256: sha256(old), ...up }));
    expect(await fsp.readFile(path)).toEqual(next);
    expect((await fsp.stat(path)).mode & 0o777).toBe(0o640);
    const diff = w.prompts[0]!.preview.change!.diff!;
    expect(diff).toContain('-b=2');
    expect(diff).toContain('+b=20');
    expect(w.prompts[0]!.preview.change!.before).toMatchObject({
      size: old.length,
      sha256: sha256(old),
    });
    const backups = await w.domain.store.list('backup');
    expect(backups[0]).toMatchObject({
      id: r['backupId'],
      originalPath: path,
      sha256: sha256(old),
    });
    // The engineer edited the old version again: the base is stale now.
    const up2 = await w.upload(Buffer.from('a=9\n'));
    expect(code(await w.request('file.edit', { path, baseSha256: sha256(old), ...up2 }))).toBe(
      'FILE_CHANGED',
    );
    expect(await fsp.readFile(path)).toEqual(next);
  });

  it('edit: the file changes between approval and execution: FILE_CHANGED, nothing written', async () => {
    await w.close();
    const path = () => join(w.root, 'race.txt');
    w = await createFilesWorld({
      onPrompt: async () => fsp.writeFile(path(), 'someone else wrote this'),
    });
    await fsp.writeFile(path(), 'base');
    const up = await w.upload(Buffer.from('mine'));
    expect(
      code(await w.request('file.edit', { path: path(), baseSha256: sha256('base'), ...up })),
    ).toBe('FILE_CHANGED');
    expect(await fsp.readFile(path(), 'utf8')).toBe('someone else wrote this');
  });

  it('edit: binary content shows sizes and hashes, no diff', async () => {
    const path = join(w.root, 'blob.bin');
    await fsp.writeFile(path, Buffer.from([0, 1, 2, 3]));
    const up = await w.upload(Buffer.from([0, 9, 9]));
    ok(
      await w.request('file.edit', { path, baseSha256: sha256(Buffer.from([0, 1, 2, 3])), ...up }),
    );
    const change = w.prompts[0]!.preview.change!;
    expect(change).toMatchObject({ binary: true, before: { size: 4 }, after: { size: 3 } });
    expect(change.diff).toBeUndefined();
  });

  it('mkdir, rename, delete into the trash and restore from it', async () => {
    ok(await w.request('file.mkdir', { path: join(w.root, 'd') }));
    expect((await fsp.stat(join(w.root, 'd'))).isDirectory()).toBe(true);
    expect(code(await w.request('file.mkdir', { path: join(w.root, 'd') }))).toBe('FILE_EXISTS');
    await fsp.writeFile(join(w.root, 'd/f.txt'), 'keep');
    const mv = ok(
      await w.request('file.rename', { path: join(w.root, 'd/f.txt'), to: join(w.root, 'g.txt') }),
    );
    expect(mv).toMatchObject({ path: join(w.root, 'd/f.txt'), to: join(w.root, 'g.txt') });
    expect(w.prompts[1]!.preview.destination?.canonical).toBe(join(w.root, 'g.txt'));
    await fsp.writeFile(join(w.root, 'h.txt'), 'h');
    expect(
      code(
        await w.request('file.rename', { path: join(w.root, 'g.txt'), to: join(w.root, 'h.txt') }),
      ),
    ).toBe('FILE_EXISTS');
    const del = ok(await w.request('file.delete', { path: join(w.root, 'd') }));
    expect(await fsp.readdir(w.root)).toEqual(['g.txt', 'h.txt']);
    const trashId = del['trashId'] as string;
    const [entry] = await w.domain.store.list('trash');
    expect(entry).toMatchObject({
      id: trashId,
      originalPath: join(w.root, 'd'),
      type: 'directory',
    });
    ok(await w.request('file.restore', { id: trashId }));
    expect((await fsp.stat(join(w.root, 'd'))).isDirectory()).toBe(true);
    expect(await w.domain.store.list('trash')).toEqual([]);
    expect(code(await w.request('file.restore', { id: trashId }))).toBe('FILE_TRASH_NOT_FOUND');
  });

  it('restore: a trash entry does not overwrite; a backup brings an old version back', async () => {
    await fsp.writeFile(join(w.root, 'f'), 'one');
    const del = ok(await w.request('file.delete', { path: join(w.root, 'f') }));
    await fsp.writeFile(join(w.root, 'f'), 'two');
    expect(code(await w.request('file.restore', { id: del['trashId'] }))).toBe(
      'FILE_RESTORE_CONFLICT',
    );
    ok(await w.request('file.restore', { id: del['trashId'], to: join(w.root, 'f.restored') }));
    expect(await fsp.readFile(join(w.root, 'f.restored'), 'utf8')).toBe('one');
    const up = await w.upload(Buffer.from('three'));
    const edit = ok(
      await w.request('file.edit', { path: join(w.root, 'f'), baseSha256: sha256('two'), ...up }),
    );
    ok(await w.request('file.restore', { id: edit['backupId'] }));
    expect(await fsp.readFile(join(w.root, 'f'), 'utf8')).toBe('two');
    // Restoring a backup kept the version it replaced.
    expect((await w.domain.store.list('backup')).length).toBe(2);
  });

  it('denied by the approver: nothing happens, the engineer gets the reason', async () => {
    await w.close();
    w = await createFilesWorld({ deny: true });
    const final = await w.request('file.mkdir', { path: join(w.root, 'nope') });
    expect(final).toMatchObject({ type: 'action.denied', code: 'CONSENT_DENIED' });
    expect(await fsp.readdir(w.root)).toEqual([]);
  });
});
