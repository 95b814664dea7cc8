// The fix package reader parses tar itself (package-reader.ts, tar-header.ts)
// from chunks read into reused buffers, and the package is hashed from the
// ring the worker reads into (package-ring.ts): long names the way
// tar-stream and GNU tar write them, files spanning many chunks and more
// chunks than the ring has slots.
import { execFileSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFix } from '../../../main/fixes/apply';
import { fixTrust } from '../../../main/fixes/fix-types';
import { RING_SLOTS, RING_SLOT_BYTES } from '../../../main/fixes/package-ring';
import { loadRegistry } from '../../../main/fixes/registry';
import { verifyFixHeader, verifyFixPackage } from '../../../main/fixes/verify';
import { generateSigningKeyPair } from '../../../platform/signing';
import { codeOf, makeWorld, sha, snapshot, type FixWorld } from './fix-world';

let world: FixWorld;

beforeAll(async () => {
  world = await makeWorld();
});
afterAll(() => world.cleanup());

const verify = async (file: string) =>
  verifyFixPackage(file, fixTrust(world.trust, await loadRegistry(world.dataDir)), {
    keepSmallFiles: true,
  });

/** A name of one component longer than a ustar header holds (tar-stream writes a pax header). */
const LONG_NAME = `${'n'.repeat(180)}.txt`;
const LONG_PATH = `lib/${'d'.repeat(90)}/${'e'.repeat(90)}/${LONG_NAME}`;
/** More bytes than the ring holds, and not a whole number of chunks. */
const BIG = Buffer.alloc((RING_SLOTS + 3) * RING_SLOT_BYTES + 12_345, 'big file ');
const FILES = { [LONG_PATH]: 'long name\n', 'big.bin': BIG, 'app.conf': 'port = 1\n' };

/** The package's entries, re-packed by GNU tar in `format`, in the same order. */
async function repack(file: string, format: 'gnu' | 'pax', name: string): Promise<string> {
  const dir = join(world.root, `${name}-tree`);
  await fsp.mkdir(dir);
  execFileSync('tar', ['-xf', file, '-C', dir]);
  const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
  const out = join(world.root, `${name}.assentfix`);
  execFileSync('tar', [`--format=${format}`, '-cf', out, '-C', dir, ...listed]);
  return out;
}

describe('the fix package reader', () => {
  it('reads pax long names and a file larger than the ring; hashes the package as sha256sum does', async () => {
    const file = await world.pack({ files: FILES, add: Object.keys(FILES).slice(0, 2) });
    expect(readFileSync(file).includes('path=payload/lib/')).toBe(true);
    const verified = await verify(file);
    expect(verified.packageSha256).toBe(sha(readFileSync(file)));
    expect(verified.packageSize).toBe(readFileSync(file).length);
    expect(verified.contents.get(LONG_PATH)?.toString()).toBe('long name\n');
    expect(verified.payloadBytes).toBe(BIG.length + 10 + 9);
    await applyFix({
      dataDir: world.dataDir,
      packagePath: file,
      trust: world.trust,
      approvedBy: 'test',
      expectedSha256: verified.packageSha256,
    });
    const after = await snapshot(world.target);
    expect(after[LONG_PATH]).toBe(sha('long name\n'));
    expect(after['big.bin']).toBe(sha(BIG));
  });

  it('reads the same package re-packed by GNU tar (GNU long names, pax headers)', async () => {
    const file = await world.pack({
      id: 'FIX-LONG',
      files: { [`x/${LONG_NAME}`]: 'gnu\n' },
      add: [`x/${LONG_NAME}`],
    });
    const original = await verify(file);
    for (const format of ['gnu', 'pax'] as const) {
      const again = await repack(file, format, `repacked-${format}`);
      expect(readFileSync(again).includes(format === 'gnu' ? '././@LongLink' : 'path=')).toBe(true);
      const verified = await verify(again);
      expect(verified.manifestSha256).toBe(original.manifestSha256);
      expect(verified.packageSha256).toBe(sha(readFileSync(again)));
      expect(verified.contents.get(`x/${LONG_NAME}`)?.toString()).toBe('gnu\n');
    }
  });

  it('refuses a package cut inside a header, and bytes after its end', async () => {
    const file = await world.pack({ id: 'FIX-CUT', files: { 'app.conf': 'port = 2\n' } });
    const bytes = readFileSync(file);
    const cut = join(world.root, 'cut.assentfix');
    // Inside the payload entry's header block, which starts with its name.
    await fsp.writeFile(cut, bytes.subarray(0, bytes.indexOf('payload/app.conf') + 100));
    expect(await codeOf(verify(cut))).toBe('FIX_PACKAGE_INVALID');
    const trailing = join(world.root, 'trailing.assentfix');
    await fsp.writeFile(trailing, Buffer.concat([bytes, Buffer.from('x'.repeat(512))]));
    expect(await codeOf(verify(trailing))).toBe('FIX_PACKAGE_INVALID');
  });

  it('checks a header again unless its bytes are exactly those checked before', async () => {
    const trust = fixTrust(world.trust, await loadRegistry(world.dataDir));
    const good = await world.pack({ id: 'FIX-HEAD' });
    const checked = await verifyFixHeader(good, trust);
    const again = await verifyFixPackage(good, trust, { checkedHeader: checked });
    expect(again.manifestSha256).toBe(checked.manifestSha256);
    // Another package in its place (signed by a key the ground rules do not list): checked anew.
    const other = await world.pack({ id: 'FIX-HEAD', key: generateSigningKeyPair() });
    expect(await codeOf(verifyFixPackage(other, trust, { checkedHeader: checked }))).toBe(
      'FIX_SIGNER_NOT_ALLOWED',
    );
  });
});
