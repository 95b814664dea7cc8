// Apply checks the target's layout (directories, files to add) before
// staging and hashes the files to replace or remove while staging goes on
// (hashTarget, in the fix worker): what changed in between must still be
// refused, nothing may block on a fifo or read through a link.
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixTrust } from '../../../main/fixes/fix-types';
import { loadRegistry } from '../../../main/fixes/registry';
import {
  hashTarget,
  inspectLayout,
  inspectTarget,
  targetDigest,
} from '../../../main/fixes/target-state';
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

describe('hashTarget after inspectLayout', () => {
  it('hashes the same files as a full inspection', async () => {
    const again = await hashTarget(await inspectLayout(manifest));
    expect(again).toEqual(await inspectTarget(manifest));
    const conf = again.files.find((f) => f.path === 'app.conf');
    expect(conf?.sha256).toBe(sha('port = 8080\nthreads = 4\n'));
    expect(conf?.size).toBe('port = 8080\nthreads = 4\n'.length);
    expect(again.createDirs).toEqual([join(world.target, 'lib', 'new')]);
    expect(targetDigest(again)).toBe(targetDigest(await inspectTarget(manifest)));
  });

  it('refuses a file to replace that became a symbolic link (FIX_TARGET_CONFLICT)', async () => {
    const layout = await inspectLayout(manifest);
    const outside = join(world.root, 'outside.conf');
    await fsp.writeFile(outside, 'port = 8080\nthreads = 4\n');
    await fsp.rm(join(world.target, 'app.conf'));
    await fsp.symlink(outside, join(world.target, 'app.conf'));
    expect(await codeOf(hashTarget(layout))).toBe('FIX_TARGET_CONFLICT');
  });

  it('refuses a file to replace that is gone or became a directory; the layout refuses a file to add that exists', async () => {
    const layout = await inspectLayout(manifest);
    await fsp.rename(join(world.target, 'bin', 'tool'), join(world.root, 'tool'));
    expect(await codeOf(hashTarget(layout))).toBe('FIX_TARGET_CONFLICT');
    await fsp.mkdir(join(world.target, 'bin', 'tool'));
    expect(await codeOf(hashTarget(layout))).toBe('FIX_TARGET_CONFLICT');
    await fsp.rmdir(join(world.target, 'bin', 'tool'));
    await fsp.rename(join(world.root, 'tool'), join(world.target, 'bin', 'tool'));
    await fsp.mkdir(join(world.target, 'lib', 'new'));
    await fsp.writeFile(join(world.target, 'lib', 'new', 'helper.txt'), 'planted\n');
    expect(await codeOf(inspectLayout(manifest))).toBe('FIX_TARGET_CONFLICT');
  });

  it('refuses a directory on the way that became a symbolic link, without reading through it', async () => {
    const layout = await inspectLayout(manifest);
    const elsewhere = join(world.root, 'elsewhere');
    await fsp.rename(join(world.target, 'bin'), elsewhere);
    // Through the link, bin/tool would be a fifo: opening or reading it through the link must not happen.
    await fsp.rm(join(elsewhere, 'tool'));
    expect(spawnSync('mkfifo', [join(elsewhere, 'tool')]).status).toBe(0);
    await fsp.symlink(elsewhere, join(world.target, 'bin'));
    expect(await codeOf(hashTarget(layout))).toBe('FIX_TARGET_CONFLICT');
    expect(await codeOf(inspectLayout(manifest))).toBe('FIX_TARGET_CONFLICT');
  });

  it.runIf(process.platform === 'linux')(
    'refuses a fifo put in place of a file to replace, without blocking on it',
    async () => {
      const layout = await inspectLayout(manifest);
      await fsp.rm(join(world.target, 'app.conf'));
      expect(spawnSync('mkfifo', [join(world.target, 'app.conf')]).status).toBe(0);
      expect(await codeOf(hashTarget(layout))).toBe('FIX_TARGET_CONFLICT');
    },
  );
});
