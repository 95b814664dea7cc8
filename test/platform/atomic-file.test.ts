import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATOMIC_WRITE_STEPS,
  moveFileAtomic,
  removeStaleTemporaries,
  writeFileAtomic,
  type AtomicWriteStep,
} from '../../platform/atomic-file';
import { isAssentError } from '../../protocol/errors';

const repo = resolve(import.meta.dirname, '../..');
let work: string;

beforeAll(async () => {
  work = await fsp.mkdtemp(join(tmpdir(), 'assent-atomic-'));
});
afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('writeFileAtomic', () => {
  it('writes a new file, reports size and hash, and calls every step in order', async () => {
    const target = join(work, 'new.txt');
    const steps: AtomicWriteStep[] = [];
    const data = Buffer.from('hello atomic world\n');
    const result = await writeFileAtomic(target, data, { onStep: (s) => void steps.push(s) });
    expect(result).toEqual({ bytes: data.length, sha256: sha(data) });
    expect(await fsp.readFile(target)).toEqual(data);
    expect(steps).toEqual([...ATOMIC_WRITE_STEPS]);
    expect((await fsp.readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a file, keeps its permission bits and accepts async chunks', async () => {
    const target = join(work, 'mode.txt');
    await fsp.writeFile(target, 'old');
    await fsp.chmod(target, 0o640);
    async function* chunks() {
      yield Buffer.from('new ');
      yield Buffer.from('content');
    }
    await writeFileAtomic(target, chunks());
    expect(await fsp.readFile(target, 'utf8')).toBe('new content');
    expect((await fsp.stat(target)).mode & 0o777).toBe(0o640);
  });

  it('exclusive mode refuses an existing target and leaves it untouched', async () => {
    const target = join(work, 'exists.txt');
    await fsp.writeFile(target, 'keep me');
    const err = await writeFileAtomic(target, Buffer.from('x'), { exclusive: true }).catch(
      (e) => e,
    );
    expect(isAssentError(err, 'IO_FAILED')).toBe(true);
    expect(await fsp.readFile(target, 'utf8')).toBe('keep me');
    expect((await fsp.readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('abort before the rename leaves the target and no temporary file', async () => {
    const target = join(work, 'aborted.txt');
    await fsp.writeFile(target, 'original');
    const controller = new AbortController();
    async function* chunks() {
      yield Buffer.from('partial');
      controller.abort(new Error('revoked'));
      yield Buffer.from('more');
    }
    await expect(writeFileAtomic(target, chunks(), { signal: controller.signal })).rejects.toThrow(
      'revoked',
    );
    expect(await fsp.readFile(target, 'utf8')).toBe('original');
    expect((await fsp.readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('an injected ENOSPC from the file handle reports DISK_FULL and keeps the original', async () => {
    const target = join(work, 'injected.txt');
    await fsp.writeFile(target, 'original bytes');
    const wrapHandle = (h: FileHandle) => ({
      write: (() => {
        const err = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        return Promise.reject(err);
      }) as unknown as FileHandle['write'],
      sync: () => h.sync(),
      close: () => h.close(),
      chmod: (m: number) => h.chmod(m),
    });
    const err = await writeFileAtomic(target, Buffer.from('new'), { wrapHandle }).catch((e) => e);
    expect(isAssentError(err, 'DISK_FULL')).toBe(true);
    expect(await fsp.readFile(target, 'utf8')).toBe('original bytes');
    expect((await fsp.readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('moveFileAtomic puts a complete file in place without copying it', async () => {
    const source = join(work, 'staged.bin');
    const target = join(work, 'moved.txt');
    await fsp.writeFile(source, 'staged content');
    await fsp.writeFile(target, 'old');
    await fsp.chmod(target, 0o640);
    const ino = (await fsp.stat(source)).ino;
    const steps: AtomicWriteStep[] = [];
    await moveFileAtomic(source, target, { onStep: (s) => void steps.push(s) });
    expect(await fsp.readFile(target, 'utf8')).toBe('staged content');
    expect((await fsp.stat(target)).ino).toBe(ino);
    expect((await fsp.stat(target)).mode & 0o777).toBe(0o640);
    expect(steps).toEqual([...ATOMIC_WRITE_STEPS]);
    await expect(fsp.stat(source)).rejects.toThrow();
  });

  it('moveFileAtomic exclusive refuses an existing target and leaves it untouched', async () => {
    const source = join(work, 'staged2.bin');
    const target = join(work, 'taken.txt');
    await fsp.writeFile(source, 'x');
    await fsp.writeFile(target, 'keep');
    const err = await moveFileAtomic(source, target, { exclusive: true }).catch((e) => e);
    expect(isAssentError(err, 'IO_FAILED')).toBe(true);
    expect(await fsp.readFile(target, 'utf8')).toBe('keep');
    expect((await fsp.readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('removeStaleTemporaries cleans leftovers of interrupted writes only', async () => {
    const dir = await fsp.mkdtemp(join(work, 'stale-'));
    await fsp.writeFile(join(dir, '.a.txt.assent-0123456789ab.tmp'), 'x');
    await fsp.writeFile(join(dir, 'a.txt'), 'y');
    expect(await removeStaleTemporaries(dir)).toBe(1);
    expect(await fsp.readdir(dir)).toEqual(['a.txt']);
  });
});

// A real tmpfs of 1 MiB: the write runs out of space for real.
const canMount = process.getuid?.() === 0 && process.platform === 'linux';
describe.runIf(canMount)('writeFileAtomic on a full tmpfs', () => {
  let mnt: string;
  let mounted = false;
  beforeAll(async () => {
    mnt = await fsp.mkdtemp(join(tmpdir(), 'assent-tmpfs-'));
    mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status === 0;
  });
  afterAll(async () => {
    if (mounted) spawnSync('umount', [mnt]);
    await fsp.rm(mnt, { recursive: true, force: true });
  });

  it('ENOSPC leaves the original intact and reports DISK_FULL', async () => {
    expect(mounted).toBe(true);
    const target = join(mnt, 'data.bin');
    const original = Buffer.alloc(600 * 1024, 7);
    await fsp.writeFile(target, original);
    const err = await writeFileAtomic(target, Buffer.alloc(700 * 1024, 9)).catch((e) => e);
    expect(isAssentError(err, 'DISK_FULL')).toBe(true);
    expect(sha(await fsp.readFile(target))).toBe(sha(original));
    expect(await fsp.readdir(mnt)).toEqual(['data.bin']);
  });

  it('moveFileAtomic across file systems throws EXDEV before changing anything', async () => {
    const source = join(work, 'other-fs.bin');
    await fsp.writeFile(source, 'x');
    const err = await moveFileAtomic(source, join(mnt, 'data.bin')).catch((e) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('EXDEV');
    expect(await fsp.readFile(source, 'utf8')).toBe('x');
    expect(await fsp.readdir(mnt)).toEqual(['data.bin']);
  });
});

// kill -9 of a real child process at each step: the target is old or new, byte for byte.
describe('writeFileAtomic under kill -9', () => {
  const child = (dir: string) => `
import { writeFileAtomic } from ${JSON.stringify(join(repo, 'platform/atomic-file.ts'))};
const crashAt = process.env.CRASH_AT;
const data = Buffer.alloc(3 * 1024 * 1024, 0x42);
await writeFileAtomic(${JSON.stringify(join(dir, 'target.bin'))}, data, {
  onStep: (step) => { if (step === crashAt) process.kill(process.pid, 'SIGKILL'); },
});
`;
  for (const step of ATOMIC_WRITE_STEPS) {
    it(`crash after "${step}"`, async () => {
      const dir = await fsp.mkdtemp(join(work, `crash-${step}-`));
      const old = Buffer.alloc(2 * 1024 * 1024, 0x41);
      await fsp.writeFile(join(dir, 'target.bin'), old);
      const script = join(dir, 'child.mts');
      await fsp.writeFile(script, child(dir));
      const proc = spawn(process.execPath, ['--import', 'tsx/esm', script], {
        cwd: repo,
        env: { ...process.env, CRASH_AT: step },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d) => (stderr += String(d)));
      const signal = await new Promise((res) => proc.on('exit', (_code, sig) => res(sig)));
      expect(signal, stderr).toBe('SIGKILL');
      const after = await fsp.readFile(join(dir, 'target.bin'));
      const newData = Buffer.alloc(3 * 1024 * 1024, 0x42);
      const isOld = after.equals(old);
      const isNew = after.equals(newData);
      expect(isOld || isNew).toBe(true);
      expect(isNew).toBe(step === 'renamed' || step === 'dir-synced');
      await removeStaleTemporaries(dir);
    });
  }
});
