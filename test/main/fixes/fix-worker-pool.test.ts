// The fix worker pool (worker_threads): warming it ahead of an apply starts
// the pool's two workers and no more, and the jobs that follow run on them.
import { afterEach, describe, expect, it } from 'vitest';
import { applyFix } from '../../../main/fixes/apply';
import { fixWorkerCount, warmFixWorkers } from '../../../main/fixes/fix-worker-pool';
import { verifyFixPackage } from '../../../main/fixes/verify';
import { fixTrust } from '../../../main/fixes/fix-types';
import { loadRegistry } from '../../../main/fixes/registry';
import { makeWorld, sha, snapshot, type FixWorld } from './fix-world';

const worlds: FixWorld[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.cleanup();
});

describe('fix worker pool', () => {
  it('starts its two workers when warmed, never more, and runs a verify and an apply on them', async () => {
    const w = await makeWorld();
    worlds.push(w);
    const pkg = await w.pack({ files: { 'bin/tool': 'new tool\n' } });
    warmFixWorkers();
    warmFixWorkers();
    expect(fixWorkerCount()).toBe(2);
    const verified = await verifyFixPackage(pkg, fixTrust(w.trust, await loadRegistry(w.dataDir)));
    expect(fixWorkerCount()).toBe(2);
    await applyFix({
      dataDir: w.dataDir,
      packagePath: pkg,
      trust: w.trust,
      approvedBy: 't',
      expectedSha256: verified.packageSha256,
      verifiedSha256: verified.packageSha256,
    });
    expect(fixWorkerCount()).toBe(2);
    expect((await snapshot(w.target))['bin/tool']).toBe(sha('new tool\n'));
  });
});
