// Benchmark (not a test), issue 5: verify + apply of a 100 MiB fix of 1,000
// files, and its rollback, against a plain `tar -x` of the same payload in
// the same run. Target, as the issue words it: apply within 3× of `tar -x`
// despite backup and fsync. The apply is what runs after the approval
// (applyFix: the second verification pass over the package, staging, backups,
// fsync, swaps); the verification before the prompt (the agent's describe) is
// timed on its own, and verify + apply is judged against 3× too, the stricter
// reading the first four sessions held it to. `tar -x` neither verifies nor
// fsyncs, so the ratios are the price of those guarantees. Where the time
// goes: docs/fixes.md, "Performance".
//
//   node bin/run-ts.js bench/fixes.ts   (ASSENT_BENCH_FIX_MIB=20 for a quick run)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signFixPackage } from '../console/fixes/package-signer';
import { buildFixPackage } from '../console/fixes/package-writer';
import { applyFix } from '../main/fixes/apply';
import { fixTrust, type FixTrustBase } from '../main/fixes/fix-types';
import { loadRegistry } from '../main/fixes/registry';
import { rollbackFix } from '../main/fixes/rollback';
import { verifyFixPackage } from '../main/fixes/verify';
import { generateSigningKeyPair } from '../platform/signing';

const MIB = 1024 * 1024;
const TOTAL = Number(process.env['ASSENT_BENCH_FIX_MIB'] ?? 100) * MIB;
const FILES = 1000;
/** The first round also starts the fix worker; the median is of all rounds. */
const ROUNDS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const mibs = (bytes: number, millis: number) =>
  `${(bytes / MIB / (millis / 1000)).toFixed(0)} MiB/s`;

async function writeFiles(dir: string, size: number): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await fsp.mkdir(sub, { recursive: true });
    await fsp.writeFile(join(sub, `f${i}.bin`), randomBytes(size));
  }
}

/** Prints figures for apply and rollback against `tar -x`. */
export async function run(): Promise<void> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'assent-bench-fixes-')));
  try {
    const size = Math.floor(TOTAL / FILES);
    const target = join(root, 'target');
    const payload = join(root, 'payload');
    const dataDir = join(root, 'data');
    await fsp.mkdir(dataDir);
    await writeFiles(target, size);
    await writeFiles(payload, size);
    const key = generateSigningKeyPair();
    const pkg = join(root, 'bench.assentfix');
    let t0 = process.hrtime.bigint();
    await buildFixPackage(
      payload,
      {
        id: 'BENCH-1',
        product: 'bench',
        version: '1.0.0',
        fixKind: 'permanent',
        description: 'benchmark payload',
        targetRoot: target,
        minAgentVersion: '0.1.0',
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
      pkg,
    );
    const buildMs = ms(t0);
    t0 = process.hrtime.bigint();
    await signFixPackage(pkg, key, 'bench', ['installer']);
    const signMs = ms(t0);
    const plainTar = join(root, 'payload.tar');
    spawnSync('tar', ['-cf', plainTar, '-C', payload, '.'], { stdio: 'inherit' });
    const trust: FixTrustBase = {
      signers: [{ name: 'bench', publicKey: key.publicKey }],
      agentVersion: '1.0.0',
    };

    const tarMs: number[] = [];
    const verifyMs: number[] = [];
    const applyMs: number[] = [];
    const verifyApplyMs: number[] = [];
    const rollbackMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const out = join(root, `tar-x-${round}`);
      await fsp.mkdir(out);
      t0 = process.hrtime.bigint();
      const tar = spawnSync('tar', ['-xf', plainTar, '-C', out]);
      tarMs.push(ms(t0));
      if (tar.status !== 0) throw new Error(`tar -x failed: ${String(tar.stderr)}`);
      rmSync(out, { recursive: true, force: true });

      t0 = process.hrtime.bigint();
      const verified = await verifyFixPackage(pkg, fixTrust(trust, await loadRegistry(dataDir)));
      verifyMs.push(ms(t0));
      // As the agent does: the apply is bound to the package the approver saw, which was
      // verified in full (each file's sha256) before the prompt.
      const t1 = process.hrtime.bigint();
      await applyFix({
        dataDir,
        packagePath: pkg,
        trust,
        approvedBy: 'bench',
        expectedSha256: verified.packageSha256,
        verifiedSha256: verified.packageSha256,
      });
      applyMs.push(ms(t1));
      verifyApplyMs.push(ms(t0));

      t0 = process.hrtime.bigint();
      await rollbackFix({ dataDir, id: 'BENCH-1', by: 'bench' });
      rollbackMs.push(ms(t0));
    }
    const tar = median(tarMs);
    const verify = median(verifyMs);
    const apply = median(applyMs);
    const verifyApply = median(verifyApplyMs);
    const rollback = median(rollbackMs);
    const judged = (x: number) =>
      `ratio ${(x / tar).toFixed(2)}× tar -x (target ≤ 3×) ${x / tar <= 3 ? 'PASS' : 'MISS'}`;
    const line = (name: string, x: number, tail = '') =>
      console.log(`  ${name.padEnd(32)}${x.toFixed(0).padStart(6)} ms  ${mibs(TOTAL, x)}  ${tail}`);
    console.log(
      `fixes: ${FILES} files, ${(TOTAL / MIB).toFixed(0)} MiB, median of ${ROUNDS} rounds`,
    );
    console.log(
      `  build ${buildMs.toFixed(0)} ms, sign ${signMs.toFixed(0)} ms (console side, once)`,
    );
    line('tar -x (reference)', tar);
    line('verify (before the prompt)', verify);
    line('apply (after the approval)', apply, judged(apply));
    line('verify + apply (stricter reading)', verifyApply, judged(verifyApply));
    line('rollback', rollback, `ratio ${(rollback / tar).toFixed(2)}× tar -x`);
    // tar -x creates 1,000 files like the apply does, and what a create costs on a shared
    // disk swings between rounds (ext4 skips recently deleted inodes), so each round's own
    // ratio is shown too.
    const perRound = (xs: number[]) => xs.map((x, i) => `${(x / tarMs[i]!).toFixed(2)}×`).join(' ');
    const each = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
    console.log(
      `  per round (tar -x ms ${each(tarMs)}): apply ${perRound(applyMs)}; verify + apply ${perRound(verifyApplyMs)}; rollback ${perRound(rollbackMs)}`,
    );
    console.log(
      `  per round, ms: verify ${each(verifyMs)}; apply ${each(applyMs)}; rollback ${each(rollbackMs)}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `node bin/run-ts.js bench/fixes.ts` */
export async function main(): Promise<number> {
  await run();
  return 0;
}
