// `assent-engineer fix …`: release key in the real (test) keychain, build,
// sign (installer role only), inspect; the signed package verifies on the agent.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFixCommand, type EngineerFixIo } from '../../../console/fixes/fix-cli';
import { loadReleaseKey, releaseKeyAccount } from '../../../console/fixes/release-key';
import { fixTrust } from '../../../main/fixes/fix-types';
import { verifyFixPackage } from '../../../main/fixes/verify';
import { deleteSecret } from '../../../platform/keychain';
import { keyFingerprint } from '../../../platform/signing';
import { makeWorld, writeTree, type FixWorld } from '../../main/fixes/fix-world';

let world: FixWorld;
let lines: string[];
const profile = `fix-cli-test-${process.pid}`;
const io = (extra: Partial<EngineerFixIo> = {}): EngineerFixIo => ({
  out: (l) => lines.push(l),
  profile,
  roles: ['engineer', 'installer'],
  signer: 'Acme Release',
  ...extra,
});

beforeEach(async () => {
  world = await makeWorld();
  lines = [];
});
afterEach(() => {
  deleteSecret('assent-vendor', releaseKeyAccount(profile));
  world.cleanup();
});

async function authorFiles(): Promise<{ dir: string; manifest: string; out: string }> {
  const dir = join(world.root, 'payload');
  await writeTree(dir, { 'app.conf': 'port = 9090\n', 'lib/new.txt': 'new\n' });
  const manifest = join(world.root, 'm.json');
  await fsp.writeFile(
    manifest,
    JSON.stringify({
      id: 'CLI-1',
      product: 'example',
      version: '2.0.0',
      fixKind: 'permanent',
      description: 'Move to port 9090.',
      targetRoot: world.target,
      minAgentVersion: '0.1.0',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      files: [
        { path: 'lib/new.txt', op: 'add' },
        { path: 'README', op: 'remove' },
      ],
    }),
  );
  return { dir, manifest, out: join(world.root, 'cli.assentfix') };
}

describe('assent-engineer fix', () => {
  it('keygen stores the release key in the keychain and refuses to overwrite it without --force', async () => {
    expect(await runFixCommand(['keygen'], io())).toBe(0);
    const key = loadReleaseKey(profile);
    expect(lines.join('\n')).toContain(keyFingerprint(key.publicKey));
    expect(lines.join('\n')).toContain(`"publicKey":"${key.publicKey}"`);
    lines = [];
    expect(await runFixCommand(['keygen'], io())).toBe(1);
    expect(lines[0]).toMatch(/^error USAGE: /);
    expect(await runFixCommand(['keygen', '--force'], io())).toBe(0);
    expect(loadReleaseKey(profile).publicKey).not.toBe(key.publicKey);
  });

  it('build, sign and inspect; the agent verifies the result against the release key', async () => {
    const { dir, manifest, out } = await authorFiles();
    await runFixCommand(['keygen'], io());
    expect(await runFixCommand(['build', dir, '--manifest', manifest, '--out', out], io())).toBe(0);
    expect(await runFixCommand(['sign', out], io())).toBe(0);
    lines = [];
    expect(await runFixCommand(['inspect', out], io())).toBe(0);
    expect(lines.join('\n')).toMatch(/CLI-1 {2}example 2\.0\.0 {2}permanent/);
    expect(lines.join('\n')).toMatch(/add {5}lib\/new\.txt/);
    expect(lines.join('\n')).toMatch(/remove {2}README/);
    expect(lines.join('\n')).toContain('signed by Acme Release');
    const key = loadReleaseKey(profile);
    const verified = await verifyFixPackage(
      out,
      fixTrust(
        { ...world.trust, signers: [{ name: 'Acme Release', publicKey: key.publicKey }] },
        { v: 1, fixes: [] },
      ),
    );
    expect(verified.manifest.files.map((f) => [f.path, f.op])).toEqual([
      ['app.conf', 'replace'],
      ['lib/new.txt', 'add'],
      ['README', 'remove'],
    ]);
  });

  it('sign needs the installer role and a release key', async () => {
    const { dir, manifest, out } = await authorFiles();
    await runFixCommand(['build', dir, '--manifest', manifest, '--out', out], io());
    expect(await runFixCommand(['sign', out], io())).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FIX_RELEASE_KEY_MISSING/);
    await runFixCommand(['keygen'], io());
    expect(await runFixCommand(['sign', out], io({ roles: ['engineer'] }))).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FIX_SIGNER_ROLE_MISSING/);
    expect(await runFixCommand(['sign', out], io({ roles: undefined }))).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FIX_SIGNER_ROLE_MISSING/);
  });

  it('build refuses payload links and manifests that do not match the payload', async () => {
    const { dir, manifest, out } = await authorFiles();
    await fsp.symlink('/etc/passwd', join(dir, 'evil'));
    expect(await runFixCommand(['build', dir, '--manifest', manifest, '--out', out], io())).toBe(1);
    expect(lines.at(-1)).toMatch(/^error FIX_PATH_UNSAFE/);
    await fsp.unlink(join(dir, 'evil'));
    await fsp.rm(join(dir, 'lib'), { recursive: true });
    expect(await runFixCommand(['build', dir, '--manifest', manifest, '--out', out], io())).toBe(1);
    expect(lines.at(-1)).toMatch(/^error USAGE: m\.json lists lib\/new\.txt/);
  });

  it('prints usage with exit code 2', async () => {
    expect(await runFixCommand(['frobnicate'], io())).toBe(2);
    expect(await runFixCommand(['build', 'dir'], io())).toBe(2);
    expect(lines[0]).toMatch(/^usage: assent-engineer fix keygen/);
  });

  it('a tampered payload cannot be signed', async () => {
    const { dir, manifest, out } = await authorFiles();
    await runFixCommand(['keygen'], io());
    await runFixCommand(['build', dir, '--manifest', manifest, '--out', out], io());
    const bytes = await fsp.readFile(out);
    bytes[bytes.indexOf('port = 9090')] = 0x50;
    await fsp.writeFile(out, bytes);
    let code = '';
    expect(await runFixCommand(['sign', out], io({ out: (l) => (code = l) }))).toBe(1);
    expect(code).toMatch(/^error FIX_HASH_MISMATCH/);
  });
});
