import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFix } from '../../../main/fixes/apply';
import { fixTrust } from '../../../main/fixes/fix-types';
import { loadRegistry } from '../../../main/fixes/registry';
import { verifyFixPackage } from '../../../main/fixes/verify';
import { generateSigningKeyPair } from '../../../platform/signing';
import { archiveCorpus } from '../../fixtures/archive-corpus/corpus';
import { codeOf, makeWorld, snapshot, type FixWorld } from './fix-world';

let world: FixWorld;
let outside: string;

beforeAll(async () => {
  world = await makeWorld();
  outside = join(world.root, 'outside');
  await fsp.mkdir(outside);
  await fsp.writeFile(join(outside, 'sentinel.txt'), 'do not touch\n');
});
afterAll(() => world.cleanup());

const verify = async (file: string, trust = world.trust) =>
  verifyFixPackage(file, fixTrust(trust, await loadRegistry(world.dataDir)));

async function withBytes(name: string, bytes: Buffer): Promise<string> {
  const file = join(world.root, name);
  await fsp.writeFile(file, bytes);
  return file;
}

/** Flips one byte at the first occurrence of `needle` (plus `delta`). */
function flip(bytes: Buffer, needle: string, delta = 0, to?: number): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(needle) + delta;
  if (at < delta) throw new Error(`needle ${needle} not found`);
  copy[at] = to ?? copy[at]! ^ 0x01;
  return copy;
}

describe('verifyFixPackage: the signature and what it covers', () => {
  it('accepts a good package and reports signer, versions and sizes', async () => {
    const verified = await verify(await world.pack({}));
    expect(verified.signer).toMatchObject({ name: 'Acme Release', publicKey: world.key.publicKey });
    expect(verified.manifest.files.map((f) => f.op)).toEqual([
      'replace',
      'replace',
      'add',
      'remove',
    ]);
    expect(verified.fromVersion).toBeUndefined();
  });

  it('refuses a tampered byte in the payload, the manifest and the signature', async () => {
    const good = await fsp.readFile(await world.pack({}));
    expect(await codeOf(verify(await withBytes('t1', flip(good, 'threads = 8'))))).toBe(
      'FIX_HASH_MISMATCH',
    );
    expect(await codeOf(verify(await withBytes('t2', flip(good, 'Raise the thread'))))).toBe(
      'FIX_SIGNATURE_INVALID',
    );
    const sigAt = good.indexOf('"signature":"') + '"signature":"'.length + 10;
    const sig = Buffer.from(good);
    sig[sigAt] = sig[sigAt] === 0x41 ? 0x42 : 0x41;
    expect(await codeOf(verify(await withBytes('t3', sig)))).toBe('FIX_SIGNATURE_INVALID');
  });

  it('refuses a signer the ground rules do not list', async () => {
    const other = generateSigningKeyPair();
    expect(await codeOf(verify(await world.pack({ key: other })))).toBe('FIX_SIGNER_NOT_ALLOWED');
    // Same key, different domain: a credential-style signature over the manifest is not a release signature.
    expect(await codeOf(verify(await world.pack({}), { ...world.trust, signers: [] }))).toBe(
      'FIX_SIGNER_NOT_ALLOWED',
    );
  });

  it('refuses an expired package (freeze)', async () => {
    const pkg = await world.pack({
      manifest: { expiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    expect(await codeOf(verify(pkg))).toBe('FIX_EXPIRED');
    const later = { ...world.trust, now: () => new Date(Date.now() + 30 * 86_400_000) };
    expect(await codeOf(verify(await world.pack({}), later))).toBe('FIX_EXPIRED');
  });

  it('refuses a package bound to another device or customer, accepts one bound to this one', async () => {
    const otherDevice = generateSigningKeyPair().publicKey;
    expect(
      await codeOf(verify(await world.pack({ manifest: { binding: { deviceKey: otherDevice } } }))),
    ).toBe('FIX_BINDING_MISMATCH');
    expect(
      await codeOf(verify(await world.pack({ manifest: { binding: { customer: 'Other Corp' } } }))),
    ).toBe('FIX_BINDING_MISMATCH');
    const mine = await world.pack({
      manifest: { binding: { deviceKey: world.trust.deviceKey!, customer: 'Example Corp' } },
    });
    expect(await codeOf(verify(mine))).toBe('ACCEPTED');
  });

  it('refuses a package that needs a newer agent', async () => {
    expect(await codeOf(verify(await world.pack({ manifest: { minAgentVersion: '2.0.0' } })))).toBe(
      'FIX_AGENT_TOO_OLD',
    );
  });
});

describe('the archive attack corpus', () => {
  it('every case is refused with its code before a byte is written to the target', async () => {
    const cases = archiveCorpus(world.key, world.target, outside);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const target = await snapshot(world.target);
    const outsideBefore = await snapshot(outside);
    const results: Record<string, string> = {};
    const expected: Record<string, string> = {};
    const good = await verify(await world.pack({}));
    for (const [i, c] of cases.entries()) {
      const file = await withBytes(`corpus-${i}.assentfix`, c.bytes);
      expected[c.name] = c.code;
      results[c.name] = await codeOf(
        applyFix({
          dataDir: world.dataDir,
          packagePath: file,
          trust: world.trust,
          approvedBy: 'test',
        }),
      );
      // The describe-time verification refuses it the same way.
      expect(await codeOf(verify(file)), c.name).toBe(c.code);
      // Applied as if a good package had been verified in full before (no per-file hashes):
      // refused as well, with its own code or, once read to the end, by the package hash.
      expect([c.code, 'FIX_UPLOAD_INVALID'], c.name).toContain(
        await codeOf(
          applyFix({
            dataDir: world.dataDir,
            packagePath: file,
            trust: world.trust,
            approvedBy: 'test',
            verifiedSha256: good.packageSha256,
          }),
        ),
      );
    }
    expect(results).toEqual(expected);
    expect(await snapshot(world.target)).toEqual(target);
    expect(await snapshot(outside)).toEqual(outsideBefore);
    expect((await loadRegistry(world.dataDir)).fixes).toEqual([]);
    const work = join(world.dataDir, 'fixes', 'work');
    expect(await fsp.readdir(work).catch(() => [])).toEqual([]);
  });
});

describe('apply with the package hash of a verification in full (no per-file hashes)', () => {
  /** The target, the registry and the work directory are exactly as before. */
  async function expectUntouched(target: Record<string, string>): Promise<void> {
    expect(await snapshot(world.target)).toEqual(target);
    expect((await loadRegistry(world.dataDir)).fixes).toEqual([]);
    const workDir = join(world.dataDir, 'fixes', 'work');
    expect(await fsp.readdir(workDir).catch(() => [])).toEqual([]);
    expect(await fsp.readdir(join(world.dataDir, 'fixes')).catch(() => [])).not.toContain(
      'journal.json',
    );
  }

  it('refuses the package when a payload byte changed after the verification', async () => {
    const pkg = await world.pack({ id: 'FIX-FLIP' });
    const verified = await verify(pkg);
    const target = await snapshot(world.target);
    const flipped = await withBytes(
      'flipped.assentfix',
      flip(await fsp.readFile(pkg), 'threads = 8'),
    );
    const applyWith = (extra: object) =>
      applyFix({
        dataDir: world.dataDir,
        packagePath: flipped,
        trust: world.trust,
        approvedBy: 'test',
        ...extra,
      });
    // The agent's way: bound by the grant, verified in full before the prompt.
    expect(
      await codeOf(
        applyWith({
          expectedSha256: verified.packageSha256,
          verifiedSha256: verified.packageSha256,
        }),
      ),
    ).toBe('FIX_UPLOAD_INVALID');
    await expectUntouched(target);
    expect(await codeOf(applyWith({ verifiedSha256: verified.packageSha256 }))).toBe(
      'FIX_UPLOAD_INVALID',
    );
    await expectUntouched(target);
    // Without an earlier verification each file is hashed while staging, as before.
    expect(await codeOf(applyWith({ expectedSha256: verified.packageSha256 }))).toBe(
      'FIX_HASH_MISMATCH',
    );
    await expectUntouched(target);
  });

  it('refuses another signed package whose files all match its own manifest', async () => {
    const verified = await verify(await world.pack({ id: 'FIX-FIRST' }));
    const other = await world.pack({
      id: 'FIX-FIRST',
      files: { 'app.conf': 'port = 9090\nthreads = 1\n' },
    });
    // On its own the other package is valid: every file has its manifest's size and hash.
    expect(await codeOf(verify(other))).toBe('ACCEPTED');
    const target = await snapshot(world.target);
    expect(
      await codeOf(
        applyFix({
          dataDir: world.dataDir,
          packagePath: other,
          trust: world.trust,
          approvedBy: 'test',
          verifiedSha256: verified.packageSha256,
        }),
      ),
    ).toBe('FIX_UPLOAD_INVALID');
    await expectUntouched(target);
  });
});
