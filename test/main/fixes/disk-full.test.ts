// Disk full during staging leaves the target untouched: a real 512 KiB tmpfs
// (mounted as root), so the write runs out of space for real.
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyFix } from '../../../main/fixes/apply';
import { loadRegistry } from '../../../main/fixes/registry';
import { isAssentError } from '../../../protocol/errors';
import { makeWorld, snapshot, type FixWorld } from './fix-world';

const canMount = process.getuid?.() === 0 && process.platform === 'linux';
const mounts: string[] = [];
let world: FixWorld | undefined;

afterEach(async () => {
  for (const m of mounts.splice(0)) spawnSync('umount', [m]);
  world?.cleanup();
  world = undefined;
});

async function smallTmpfs(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir]);
  expect(r.status, String(r.stderr)).toBe(0);
  mounts.push(dir);
}

async function expectDiskFull(w: FixWorld): Promise<void> {
  const big = Buffer.alloc(1024 * 1024, 0x61);
  const pkg = await w.pack({
    files: { 'app.conf': 'small change\n', 'lib/big.bin': big },
    add: ['lib/big.bin'],
  });
  const before = await snapshot(w.target);
  let code = 'ACCEPTED';
  try {
    await applyFix({ dataDir: w.dataDir, packagePath: pkg, trust: w.trust, approvedBy: 'test' });
  } catch (err) {
    code = isAssentError(err) ? err.code : String(err);
  }
  expect(code).toBe('DISK_FULL');
  expect(await snapshot(w.target)).toEqual(before);
  expect((await loadRegistry(w.dataDir)).fixes).toEqual([]);
}

describe.runIf(canMount)('disk full while staging (real tmpfs)', () => {
  it('target on a full file system of its own: work happens inside it and is removed', async () => {
    world = await makeWorld();
    const target = join(world.root, 'small-target');
    await smallTmpfs(target);
    const w = await makeWorld({ target });
    await expectDiskFull(w);
    w.cleanup();
  });

  it('target and data dir on one full file system: work happens in the data dir', async () => {
    world = await makeWorld();
    const fs = join(world.root, 'small-fs');
    await smallTmpfs(fs);
    const w = await makeWorld({ target: join(fs, 'target'), dataDir: join(fs, 'data') });
    await expectDiskFull(w);
    w.cleanup();
  });
});
