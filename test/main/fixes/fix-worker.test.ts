// The fix worker (worker_threads, real files): applies that outnumber the
// pool's workers all finish (each needs a payload job and a hash job that
// creates its staged files ahead), and hashes report errno codes.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyFix } from '../../../main/fixes/apply';
import { rollbackFix } from '../../../main/fixes/rollback';
import { hashFiles } from '../../../main/fixes/target-state';
import { INITIAL_TARGET, makeWorld, sha, snapshot, type FixWorld } from './fix-world';

const worlds: FixWorld[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.cleanup();
});

async function world(): Promise<FixWorld> {
  const w = await makeWorld();
  worlds.push(w);
  return w;
}

describe('fix worker', () => {
  it('finishes five applies at once in one process (more than its two workers), each correct', async () => {
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => world()));
    const packages = await Promise.all(
      all.map((w, i) =>
        w.pack({
          files: Object.fromEntries(
            Array.from({ length: 40 }, (_, j) => [`many/f${j}.txt`, `world ${i} file ${j}\n`]),
          ),
          add: Array.from({ length: 40 }, (_, j) => `many/f${j}.txt`),
        }),
      ),
    );
    await Promise.all(
      all.map((w, i) =>
        applyFix({
          dataDir: w.dataDir,
          packagePath: packages[i]!,
          trust: w.trust,
          approvedBy: 't',
        }),
      ),
    );
    for (const [i, w] of all.entries()) {
      const after = await snapshot(w.target);
      expect(after['many/f39.txt']).toBe(sha(`world ${i} file 39\n`));
      expect(Object.keys(after).filter((p) => p.startsWith('many/f'))).toHaveLength(40);
      await rollbackFix({ dataDir: w.dataDir, id: 'FIX-1', by: 't' });
      expect(Object.keys(await snapshot(w.target)).sort()).toEqual(
        [...Object.keys(INITIAL_TARGET), 'bin', 'lib'].sort(),
      );
    }
  });

  it('hashes files in order and gives each failure its errno code', async () => {
    const w = await world();
    await fsp.symlink(join(w.target, 'app.conf'), join(w.target, 'link'));
    const outcomes = await hashFiles([
      join(w.target, 'app.conf'),
      join(w.target, 'missing'),
      join(w.target, 'link'),
      join(w.target, 'README'),
      // Opens, but is not a regular file: refused before a byte is read (no endless read).
      '/dev/zero',
      w.target,
    ]);
    expect(outcomes[0]).toEqual({
      sha256: sha(INITIAL_TARGET['app.conf']!),
      size: INITIAL_TARGET['app.conf']!.length,
    });
    const codes = outcomes.map((o) =>
      'error' in o ? (o.error as NodeJS.ErrnoException).code : 'ok',
    );
    expect(codes).toEqual(['ok', 'ENOENT', 'ELOOP', 'ok', 'EFTYPE', 'EFTYPE']);
    expect(outcomes[3]).toEqual({
      sha256: sha(INITIAL_TARGET['README']!),
      size: INITIAL_TARGET['README']!.length,
    });
    const stopped = await hashFiles([join(w.target, 'missing'), join(w.target, 'app.conf')], {
      stopAtError: true,
    });
    expect(stopped).toHaveLength(1);
  });

  it('with `under`, refuses a file whose directory on the way is a link, a file or missing', async () => {
    const w = await world();
    await fsp.symlink(join(w.target, 'bin'), join(w.target, 'linked'));
    await fsp.symlink('/dev', join(w.target, 'dev'));
    const outcomes = await hashFiles(
      [
        join(w.target, 'bin', 'tool'),
        join(w.target, 'linked', 'tool'),
        join(w.target, 'dev', 'zero'),
        join(w.target, 'README', 'x'),
        join(w.target, 'gone', 'x'),
      ],
      { under: w.target },
    );
    const codes = outcomes.map((o) =>
      'error' in o ? (o.error as NodeJS.ErrnoException).code : 'ok',
    );
    expect(codes).toEqual(['ok', 'ELOOP', 'ELOOP', 'ENOTDIR', 'ENOENT']);
  });
});
