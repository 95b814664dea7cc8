// inspectTarget with an earlier inspection (apply: before staging) does not
// lstat the files to replace or remove again; what changed in between must
// still be refused, and nothing may block on a fifo.
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixTrust } from '../../../main/fixes/fix-types';
import { loadRegistry } from '../../../main/fixes/registry';
import { inspectTarget, targetDigest } from '../../../main/fixes/target-state';
import { verifyFixHeader } from '../../../main/fixes/verify';
import type { FixManifest } from '../../../protocol/fixes';
import { codeOf, makeWorld, sha, type FixWorld } from './fix-world';

let world: FixWorld;
let manifest: FixManifest;

beforeEach(async () => {
  world = await makeWorld();
  const pkg = await world.pack({});
  const trust = fixTrust(world.trust, await loadRegistry(world.dataDir));
  manifest = (await verifyFixHeader(pkg, trust)).manifest;
});
afterEach(() => world.cleanup());

describe('inspectTarget with an earlier inspection', () => {
  it('hashes the same files as a full inspection', async () => {
    const inspected = await inspectTarget(manifest, { hash: false });
    const again = await inspectTarget(manifest, { inspected });
    expect(again).toEqual(await inspectTarget(manifest));
    expect(again.files.find((f) => f.path === 'app.conf')?.sha256).toBe(
      sha('port = 8080\nthreads = 4\n'),
    );
    expect(targetDigest(again)).toBe(targetDigest(await inspectTarget(manifest)));
  });

  it('refuses a file to replace that became a symbolic link (FIX_TARGET_CONFLICT)', async () => {
    const inspected = await inspectTarget(manifest, { hash: false });
    const outside = join(world.root, 'outside.conf');
    await fsp.writeFile(outside, 'port = 8080\nthreads = 4\n');
    await fsp.rm(join(world.target, 'app.conf'));
    await fsp.symlink(outside, join(world.target, 'app.conf'));
    expect(await codeOf(inspectTarget(manifest, { inspected }))).toBe('FIX_TARGET_CONFLICT');
  });

  it('refuses a file to replace that is gone, and a file to add that appeared', async () => {
    const inspected = await inspectTarget(manifest, { hash: false });
    await fsp.rename(join(world.target, 'bin', 'tool'), join(world.root, 'tool'));
    expect(await codeOf(inspectTarget(manifest, { inspected }))).toBe('FIX_TARGET_CONFLICT');
    await fsp.rename(join(world.root, 'tool'), join(world.target, 'bin', 'tool'));
    await fsp.mkdir(join(world.target, 'lib', 'new'));
    await fsp.writeFile(join(world.target, 'lib', 'new', 'helper.txt'), 'planted\n');
    expect(await codeOf(inspectTarget(manifest, { inspected }))).toBe('FIX_TARGET_CONFLICT');
  });

  it('refuses a directory on the way that became a symbolic link', async () => {
    const inspected = await inspectTarget(manifest, { hash: false });
    const elsewhere = join(world.root, 'elsewhere');
    await fsp.rename(join(world.target, 'bin'), elsewhere);
    await fsp.symlink(elsewhere, join(world.target, 'bin'));
    expect(await codeOf(inspectTarget(manifest, { inspected }))).toBe('FIX_TARGET_CONFLICT');
  });

  it.runIf(process.platform === 'linux')(
    'does not block on a fifo put in place of a file to replace',
    async () => {
      const inspected = await inspectTarget(manifest, { hash: false });
      await fsp.rm(join(world.target, 'app.conf'));
      expect(spawnSync('mkfifo', [join(world.target, 'app.conf')]).status).toBe(0);
      const again = await inspectTarget(manifest, { inspected });
      expect(again.files.find((f) => f.path === 'app.conf')?.sha256).not.toBe(
        sha('port = 8080\nthreads = 4\n'),
      );
    },
  );
});
