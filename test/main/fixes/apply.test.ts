import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { applyFix } from '../../../main/fixes/apply';
import { loadRegistry } from '../../../main/fixes/registry';
import { rollbackFix } from '../../../main/fixes/rollback';
import { isAssentError } from '../../../protocol/errors';
import {
  DEFAULT_FIX_FILES,
  INITIAL_TARGET,
  makeWorld,
  sha,
  snapshot,
  type FixWorld,
} from './fix-world';

let world: FixWorld;
let audit: AuditLog;

beforeEach(async () => {
  world = await makeWorld();
  audit = await AuditLog.open(world.dataDir);
});
afterEach(async () => {
  await audit.close();
  world.cleanup();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAssentError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a failure');
}

async function auditTypes(): Promise<string[]> {
  const types: string[] = [];
  for await (const r of readAuditRecords(auditLogPath(world.dataDir))) types.push(r.type);
  return types;
}

const apply = (packagePath: string, extra: Partial<Parameters<typeof applyFix>[0]> = {}) =>
  applyFix({
    dataDir: world.dataDir,
    packagePath,
    trust: world.trust,
    approvedBy: 'approver:alice',
    audit,
    ...extra,
  });

describe('applyFix', () => {
  it('installs every file, records the fix, and rolls back byte for byte', async () => {
    const before = await snapshot(world.target);
    const pkg = await world.pack({});
    const stages = new Set<string>();
    const result = await apply(pkg, { progress: (_d, _t, stage) => stage && stages.add(stage) });
    expect(result).toMatchObject({ id: 'FIX-1', version: '1.0.1', filesChanged: 4 });
    expect([...stages]).toEqual(['staging', 'swapping']);
    const after = await snapshot(world.target);
    expect(after['app.conf']).toBe(sha(DEFAULT_FIX_FILES['app.conf']!));
    expect(after['lib/new/helper.txt']).toBe(sha('helper\n'));
    expect(after['lib/old.txt']).toBeUndefined();
    expect(((await fsp.stat(join(world.target, 'bin/tool'))).mode & 0o777).toString(8)).toBe('755');
    const registry = await loadRegistry(world.dataDir);
    expect(registry.fixes).toHaveLength(1);
    expect(registry.fixes[0]).toMatchObject({
      id: 'FIX-1',
      status: 'active',
      approvedBy: 'approver:alice',
    });

    await rollbackFix({ dataDir: world.dataDir, id: 'FIX-1', by: 'local:root', audit });
    expect(await snapshot(world.target)).toEqual(before);
    expect((await loadRegistry(world.dataDir)).fixes[0]!.status).toBe('rolled-back');
    expect(await auditTypes()).toEqual(expect.arrayContaining(['fix.applied', 'fix.rolled-back']));
    // Nothing left behind in the work area.
    expect(await fsp.readdir(join(world.dataDir, 'fixes', 'work'))).toEqual([]);
  });

  it('refuses an older or equal version of the product (rollback attack) and the same id twice', async () => {
    await apply(await world.pack({ id: 'A', version: '2.0.0', files: { 'app.conf': 'v2\n' } }));
    const older = await world.pack({ id: 'B', version: '1.9.9', files: { README: 'x\n' } });
    expect(await codeOf(apply(older))).toBe('FIX_VERSION_NOT_NEWER');
    const same = await world.pack({ id: 'A', version: '2.0.1', files: { README: 'x\n' } });
    expect(await codeOf(apply(same))).toBe('FIX_VERSION_NOT_NEWER');
    const prerelease = await world.pack({
      id: 'C',
      version: '2.0.0-rc.1',
      files: { README: 'x\n' },
    });
    expect(await codeOf(apply(prerelease))).toBe('FIX_VERSION_NOT_NEWER');
    expect(await snapshot(world.target)).toMatchObject({ README: sha(INITIAL_TARGET['README']!) });
  });

  it('a failing post-check rolls back automatically', async () => {
    const before = await snapshot(world.target);
    const pkg = await world.pack({
      manifest: {
        postCheck: {
          argv: ['/bin/sh', '-c', 'grep -q "threads = 16" app.conf'],
          timeoutSeconds: 10,
        },
      },
    });
    expect(await codeOf(apply(pkg))).toBe('FIX_CHECK_FAILED');
    expect(await snapshot(world.target)).toEqual(before);
    expect((await loadRegistry(world.dataDir)).fixes).toEqual([]);
    expect(await auditTypes()).toContain('fix.apply-failed');
  });

  it('a passing post-check runs in the target root with a minimal environment', async () => {
    const pkg = await world.pack({
      manifest: {
        preCheck: {
          argv: [
            '/bin/sh',
            '-c',
            'test "$PWD" = "$ASSENT_FIX_TARGET" && test -z "$HOME" && test -f lib/old.txt',
          ],
          timeoutSeconds: 10,
        },
        postCheck: {
          argv: ['/bin/sh', '-c', 'grep -q "threads = 8" app.conf && test ! -e lib/old.txt'],
          timeoutSeconds: 10,
        },
      },
    });
    await apply(pkg);
    expect((await loadRegistry(world.dataDir)).fixes[0]!.status).toBe('active');
  });

  it('a failing pre-check changes nothing', async () => {
    const before = await snapshot(world.target);
    const pkg = await world.pack({
      manifest: { preCheck: { argv: ['/bin/false'], timeoutSeconds: 5 } },
    });
    expect(await codeOf(apply(pkg))).toBe('FIX_CHECK_FAILED');
    expect(await snapshot(world.target)).toEqual(before);
  });

  it('a permanent fix supersedes its workaround; the workaround cannot be rolled back under it', async () => {
    await apply(
      await world.pack({ id: 'WA-1', version: '1.0.0', files: { 'app.conf': 'workaround\n' } }),
    );
    await apply(
      await world.pack({
        id: 'PERM-1',
        version: '1.1.0',
        files: { 'app.conf': 'permanent\n' },
        manifest: { fixKind: 'permanent', supersedes: 'WA-1' },
      }),
    );
    let registry = await loadRegistry(world.dataDir);
    expect(registry.fixes.find((f) => f.id === 'WA-1')).toMatchObject({
      status: 'superseded',
      supersededBy: 'PERM-1',
    });
    expect(
      await codeOf(rollbackFix({ dataDir: world.dataDir, id: 'WA-1', by: 'local:root' })),
    ).toBe('FIX_SUPERSEDED');
    await rollbackFix({ dataDir: world.dataDir, id: 'PERM-1', by: 'local:root' });
    registry = await loadRegistry(world.dataDir);
    expect(registry.fixes.find((f) => f.id === 'WA-1')!.status).toBe('active');
    expect(await fsp.readFile(join(world.target, 'app.conf'), 'utf8')).toBe('workaround\n');
    expect(await auditTypes()).toContain('fix.superseded');
  });

  it('refuses to roll back over files changed since, and unknown ids', async () => {
    await apply(await world.pack({ id: 'X', files: { 'app.conf': 'fixed\n' } }));
    await fsp.writeFile(join(world.target, 'app.conf'), 'edited by hand\n');
    expect(await codeOf(rollbackFix({ dataDir: world.dataDir, id: 'X', by: 'local:root' }))).toBe(
      'FIX_TARGET_CHANGED',
    );
    expect(
      await codeOf(rollbackFix({ dataDir: world.dataDir, id: 'nope', by: 'local:root' })),
    ).toBe('FIX_NOT_INSTALLED');
  });

  it('refuses target conflicts before writing: add over an existing file, replace of a missing one, a symlinked directory', async () => {
    const before = await snapshot(world.target);
    expect(
      await codeOf(apply(await world.pack({ files: { README: 'x\n' }, add: ['README'] }))),
    ).toBe('FIX_TARGET_CONFLICT');
    expect(await codeOf(apply(await world.pack({ files: { 'missing.txt': 'x\n' } })))).toBe(
      'FIX_TARGET_CONFLICT',
    );
    const outside = join(world.root, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(join(outside, 'victim.txt'), 'keep me\n');
    await fsp.symlink(outside, join(world.target, 'linked'));
    const through = await world.pack({ files: { 'linked/victim.txt': 'pwned\n' } });
    expect(await codeOf(apply(through))).toBe('FIX_TARGET_CONFLICT');
    expect(await fsp.readFile(join(outside, 'victim.txt'), 'utf8')).toBe('keep me\n');
    await fsp.unlink(join(world.target, 'linked'));
    expect(await snapshot(world.target)).toEqual(before);
  });

  it('refuses a file to replace that is a directory, a fifo or a link, with the target and work directory untouched', async () => {
    const pkg = await world.pack({});
    const conf = join(world.target, 'app.conf');
    const outside = join(world.root, 'outside.conf');
    await fsp.rename(conf, outside);
    const before = await snapshot(world.target);
    for (const make of [
      () => fsp.mkdir(conf),
      async () => expect(spawnSync('mkfifo', [conf]).status).toBe(0),
      () => fsp.symlink(outside, conf),
    ]) {
      await make();
      expect(await codeOf(apply(pkg))).toBe('FIX_TARGET_CONFLICT');
      await fsp.rm(conf, { recursive: true });
      // (A snapshot would block on the fifo: the other files are compared once it is gone.)
      expect(await snapshot(world.target)).toEqual(before);
      expect(await fsp.readdir(join(world.dataDir, 'fixes', 'work'))).toEqual([]);
    }
    await fsp.rename(outside, conf);
    expect((await apply(pkg)).filesChanged).toBe(4);
  });

  it('stops and restores the old files when the session ends in the middle of the swap', async () => {
    const before = await snapshot(world.target);
    const controller = new AbortController();
    const pkg = await world.pack({});
    let code = '';
    try {
      await apply(pkg, {
        signal: controller.signal,
        onStep: (step) => {
          if (step === 'swap-1') controller.abort(new Error('session ended'));
        },
      });
    } catch (err) {
      code = (err as Error).message;
    }
    expect(code).toBe('session ended');
    expect(await snapshot(world.target)).toEqual(before);
    expect((await loadRegistry(world.dataDir)).fixes).toEqual([]);
    expect(await auditTypes()).toContain('fix.apply-failed');
  });

  it('refuses a package other than the approved one (hash bound by the grant)', async () => {
    const pkg = await world.pack({});
    expect(await codeOf(apply(pkg, { expectedSha256: '0'.repeat(64) }))).toBe('FIX_UPLOAD_INVALID');
  });
});
