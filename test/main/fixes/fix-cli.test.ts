// `assent-agent fix list | rollback | recover`.
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyFix } from '../../../main/fixes/apply';
import { runFixCommand } from '../../../main/fixes/fix-cli';
import { makeWorld, snapshot, type FixWorld } from './fix-world';

let world: FixWorld;
let lines: string[];
const io = () => ({ dataDir: world.dataDir, out: (l: string) => lines.push(l) });

beforeEach(async () => {
  world = await makeWorld();
  lines = [];
});
afterEach(() => world.cleanup());

describe('assent-agent fix', () => {
  it('lists installed fixes with kind, version, date and who approved; rolls one back locally', async () => {
    expect(await runFixCommand(['list'], io())).toBe(0);
    expect(lines).toEqual(['No fixes are installed.']);
    const before = await snapshot(world.target);
    await applyFix({
      dataDir: world.dataDir,
      packagePath: await world.pack({ id: 'WA-7', files: { 'app.conf': 'x\n' } }),
      trust: world.trust,
      approvedBy: 'approver (alice)',
    });
    await applyFix({
      dataDir: world.dataDir,
      packagePath: await world.pack({
        id: 'P-8',
        version: '2.0.0',
        files: { README: 'y\n' },
        manifest: { fixKind: 'permanent', supersedes: 'WA-7' },
      }),
      trust: world.trust,
      approvedBy: 'approver (bob)',
    });
    lines = [];
    expect(await runFixCommand(['list'], io())).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/^WA-7 {2}example 1\.0\.1 {2}workaround {2}superseded by P-8$/m);
    expect(text).toMatch(/^P-8 {2}example 2\.0\.0 {2}permanent {2}active$/m);
    expect(text).toMatch(/installed \d{4}-\d\d-\d\dT.* approved by approver \(alice\)/);
    expect(text).toContain('supersedes WA-7');

    lines = [];
    expect(await runFixCommand(['rollback', 'WA-7'], io())).toBe(1);
    expect(lines[0]).toMatch(/^error FIX_SUPERSEDED/);
    expect(await runFixCommand(['rollback', 'P-8'], io())).toBe(0);
    expect(await runFixCommand(['rollback', 'WA-7'], io())).toBe(0);
    expect(await snapshot(world.target)).toEqual(before);
    expect(await runFixCommand(['recover'], io())).toBe(0);
    expect(lines.at(-1)).toBe('Nothing to recover.');
  });

  it('refuses while another live process holds the fix lock, and takes over a dead one', async () => {
    await applyFix({
      dataDir: world.dataDir,
      packagePath: await world.pack({ id: 'L-1' }),
      trust: world.trust,
      approvedBy: 'test',
    });
    const lock = join(world.dataDir, 'fixes', 'lock');
    await fsp.writeFile(lock, String(process.ppid));
    expect(await runFixCommand(['rollback', 'L-1'], io())).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FIX_BUSY: .*pid/);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    await fsp.writeFile(lock, String(gone));
    expect(await runFixCommand(['rollback', 'L-1'], io())).toBe(0);
    expect(await fsp.stat(lock).catch(() => null)).toBeNull();
  });

  it('usage errors exit with 2', async () => {
    expect(await runFixCommand([], io())).toBe(2);
    expect(await runFixCommand(['rollback'], io())).toBe(2);
    expect(lines[0]).toMatch(/^usage: assent-agent fix list/);
  });
});
