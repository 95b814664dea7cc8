// Durability of file writes through the real agent code: kill -9 of the
// agent process at each injected point of an edit (old or new file, byte for
// byte, after a restart), and disk full on a real 1 MiB tmpfs.
import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATOMIC_WRITE_STEPS } from '../../../platform/atomic-file';
import { createFilesWorld, sha256 } from './files-world';

const repo = resolve(import.meta.dirname, '../../..');
const OLD = Buffer.alloc(2 * 1024 * 1024, 0x41);
const NEW = Buffer.alloc(3 * 1024 * 1024, 0x42);

describe('kill -9 of the agent during file.edit', () => {
  for (const step of ATOMIC_WRITE_STEPS) {
    it(`after "${step}": the file is old or new, and the restarted agent edits it`, async () => {
      const base = await fsp.mkdtemp(join(tmpdir(), `assent-crash-${step}-`));
      try {
        await fsp.mkdir(join(base, 'root'), { recursive: true });
        await fsp.writeFile(join(base, 'root', 'target.bin'), OLD);
        const child = spawn(
          process.execPath,
          ['--import', 'tsx/esm', 'test/main/files/fixtures/crash-edit.ts'],
          {
            cwd: repo,
            env: { ...process.env, CRASH_BASE: base, CRASH_AT: step },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        child.stdout.on('data', (d) => (output += String(d)));
        child.stderr.on('data', (d) => (output += String(d)));
        const signal = await new Promise((res) => child.on('exit', (_c, sig) => res(sig)));
        expect(signal, output).toBe('SIGKILL');
        const after = await fsp.readFile(join(base, 'root', 'target.bin'));
        expect(after.equals(OLD) || after.equals(NEW)).toBe(true);
        expect(after.equals(NEW)).toBe(step === 'renamed' || step === 'dir-synced');
        // Restart: a new agent on the same data dir edits the surviving version.
        const w = await createFilesWorld({ base });
        try {
          const up = await w.upload(Buffer.from('after restart'));
          const final = await w.request('file.edit', {
            path: join(w.root, 'target.bin'),
            baseSha256: sha256(after),
            ...up,
          });
          expect(final.type, JSON.stringify(final)).toBe('action.result');
          expect(await fsp.readFile(join(w.root, 'target.bin'), 'utf8')).toBe('after restart');
          // The temporary file the crash left is gone.
          expect(await fsp.readdir(w.root)).toEqual(['target.bin']);
          // The version the crash left is kept as a backup.
          expect(
            (await w.domain.store.list('backup')).some((b) => b.sha256 === sha256(after)),
          ).toBe(true);
        } finally {
          await w.close();
        }
      } finally {
        await fsp.rm(base, { recursive: true, force: true });
      }
    });
  }
});

const canMount = process.getuid?.() === 0 && process.platform === 'linux';
describe.runIf(canMount)('disk full during file.edit (real 1 MiB tmpfs)', () => {
  let mnt: string;
  let mounted = false;
  beforeAll(async () => {
    mnt = await fsp.mkdtemp(join(tmpdir(), 'assent-files-tmpfs-'));
    mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status === 0;
  });
  afterAll(async () => {
    if (mounted) spawnSync('umount', [mnt]);
    await fsp.rm(mnt, { recursive: true, force: true });
  });

  it('reports DISK_FULL and leaves the original intact, with no temporary file', async () => {
    expect(mounted).toBe(true);
    const w = await createFilesWorld({ root: mnt });
    try {
      const original = Buffer.alloc(600 * 1024, 7);
      await fsp.writeFile(join(mnt, 'data.bin'), original);
      const up = await w.upload(Buffer.alloc(700 * 1024, 9));
      const final = await w.request('file.edit', {
        path: join(mnt, 'data.bin'),
        baseSha256: sha256(original),
        ...up,
      });
      expect(final).toMatchObject({ type: 'action.error', code: 'DISK_FULL' });
      expect(sha256(await fsp.readFile(join(mnt, 'data.bin')))).toBe(sha256(original));
      expect(await fsp.readdir(mnt)).toEqual(['data.bin']);
      const upNew = await w.upload(Buffer.alloc(700 * 1024, 9));
      const write = await w.request('file.write', { path: join(mnt, 'new.bin'), ...upNew });
      expect(write).toMatchObject({ type: 'action.error', code: 'DISK_FULL' });
      expect(await fsp.readdir(mnt)).toEqual(['data.bin']);
    } finally {
      await w.close();
    }
  });
});
