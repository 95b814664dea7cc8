// kill -9 at every step of apply and of rollback (a real child process),
// then recovery on "agent start": the target must be fully old or fully new
// (hash-checked), never mixed, and the audit log must say which.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { applyFix } from '../../../main/fixes/apply';
import { readJournal } from '../../../main/fixes/journal';
import { recoverFixJournal } from '../../../main/fixes/recover';
import { loadRegistry } from '../../../main/fixes/registry';
import { DEFAULT_FIX_FILES, makeWorld, sha, snapshot, type FixWorld } from './fix-world';

// Tests run concurrently (each waits on its own child process); each cleans up its own world.
const worlds = new Set<FixWorld>();
afterAll(() => {
  for (const w of worlds) w.cleanup();
});

function runChild(
  args: string[],
  step: string,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['bin/run-ts.js', 'test/main/fixes/crash-child.ts', ...args],
      {
        env: { ...process.env, ASSENT_FIX_CRASH_STEP: step },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The expected target after the default fix. */
async function newState(
  world: FixWorld,
  before: Record<string, string>,
): Promise<Record<string, string>> {
  const expected = { ...before };
  delete expected['lib/old.txt'];
  expected['app.conf'] = sha(DEFAULT_FIX_FILES['app.conf']!);
  expected['bin/tool'] = sha(DEFAULT_FIX_FILES['bin/tool']!);
  expected['lib/new'] = 'dir';
  expected['lib/new/helper.txt'] = sha('helper\n');
  void world;
  return expected;
}

async function recoverAndAudit(world: FixWorld) {
  const audit = await AuditLog.open(world.dataDir);
  try {
    const recovery = await recoverFixJournal(world.dataDir, { audit });
    const records = [];
    for await (const r of readAuditRecords(auditLogPath(world.dataDir))) records.push(r);
    return { recovery, records };
  } finally {
    await audit.close();
  }
}

async function prepared(): Promise<{
  world: FixWorld;
  pkg: string;
  trustFile: string;
  before: Record<string, string>;
}> {
  const world = await makeWorld();
  worlds.add(world);
  const pkg = await world.pack({ id: 'CRASH-1' });
  const trustFile = join(world.root, 'trust.json');
  await fsp.writeFile(trustFile, JSON.stringify(world.trust));
  return { world, pkg, trustFile, before: await snapshot(world.target) };
}

const APPLY_STEPS: Array<[string, 'old' | 'new']> = [
  ['staged', 'old'],
  ['pre-checked', 'old'],
  ['journal-written', 'old'],
  ['backup-0', 'old'],
  ['backup-2', 'old'],
  ['backups-synced', 'old'],
  ['swap-0', 'old'],
  ['swap-1', 'old'],
  ['swap-3', 'old'],
  ['swapped', 'old'],
  ['post-checked', 'old'],
  ['registry-written', 'old'],
  ['committed', 'new'],
];

const ROLLBACK_STEPS = [
  'journal-written',
  'restore-0',
  'restore-2',
  'restored',
  'registry-written',
];

describe('kill -9 during apply', () => {
  it.concurrent.each(APPLY_STEPS)(
    'at %s: recovery leaves the target fully %s',
    async (step, outcome) => {
      const { world, pkg, trustFile, before } = await prepared();
      const run = await runChild(['apply', world.dataDir, pkg, trustFile], step);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      const { recovery, records } = await recoverAndAudit(world);
      const expected = outcome === 'old' ? before : await newState(world, before);
      expect(await snapshot(world.target)).toEqual(expected);
      const registry = await loadRegistry(world.dataDir);
      expect(registry.fixes.filter((f) => f.status === 'active').map((f) => f.id)).toEqual(
        outcome === 'new' ? ['CRASH-1'] : [],
      );
      expect(await readJournal(world.dataDir)).toBeUndefined();
      if (step === 'staged' || step === 'pre-checked') {
        // Before the journal there is nothing to replay; only stale staging is swept.
        expect(recovery).toBeUndefined();
      } else {
        expect(recovery).toMatchObject({ id: 'CRASH-1', op: 'apply', outcome });
        expect(records.find((r) => r.type === 'fix.recovered')?.data).toMatchObject({
          id: 'CRASH-1',
          outcome,
        });
      }
      expect(await fsp.readdir(join(world.dataDir, 'fixes', 'work'))).toEqual(
        outcome === 'new' ? [expect.any(String)] : [],
      );
    },
  );
});

describe('kill -9 during rollback', () => {
  it.concurrent.each(ROLLBACK_STEPS)(
    'at %s: recovery finishes the rollback (fully old)',
    async (step) => {
      const { world, pkg, before } = await prepared();
      await applyFix({
        dataDir: world.dataDir,
        packagePath: pkg,
        trust: world.trust,
        approvedBy: 'test',
      });
      expect(await snapshot(world.target)).toEqual(await newState(world, before));
      const run = await runChild(['rollback', world.dataDir, 'CRASH-1'], step);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      const { recovery, records } = await recoverAndAudit(world);
      expect(await snapshot(world.target)).toEqual(before);
      expect(recovery).toMatchObject({ id: 'CRASH-1', op: 'rollback', outcome: 'old' });
      expect(records.find((r) => r.type === 'fix.recovered')?.data).toMatchObject({
        outcome: 'old',
      });
      expect((await loadRegistry(world.dataDir)).fixes[0]!.status).toBe('rolled-back');
      // The system is usable again: the same fix can be re-applied after its rollback.
      if (step === 'restored') {
        await applyFix({
          dataDir: world.dataDir,
          packagePath: pkg,
          trust: world.trust,
          approvedBy: 'test',
        });
        expect(await snapshot(world.target)).toEqual(await newState(world, before));
      }
    },
  );
});

describe('kill -9 during recovery itself', () => {
  it.concurrent.each(['recover-restore-0', 'recover-restore-2'])(
    'at %s: the next recovery still ends fully old',
    async (step) => {
      const { world, pkg, trustFile, before } = await prepared();
      const first = await runChild(['apply', world.dataDir, pkg, trustFile], 'swap-3');
      expect(first.signal, first.stderr).toBe('SIGKILL');
      const second = await runChild(['recover', world.dataDir], step);
      expect(second.signal, second.stderr).toBe('SIGKILL');
      const { recovery } = await recoverAndAudit(world);
      expect(recovery).toMatchObject({ id: 'CRASH-1', op: 'apply', outcome: 'old' });
      expect(await snapshot(world.target)).toEqual(before);
    },
  );
});
