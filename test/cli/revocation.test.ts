// A vendor admin revokes a credential with the CLI, as the README says:
// `assent-engineer vendor revoke <serial>`, then copies revocations.json to
// the relay's data folder; the relay refuses that engineer from then on, and
// only that one. A mistyped or unknown serial revokes nothing and says so.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinScope, runBin } from '../support/cli-process';

const bins = new BinScope('assent-revoke-');

describe('vendor revoke, end to end', { timeout: 120_000 }, () => {
  it('revokes the credential named, refuses mistyped and unknown serials, and the relay applies the list', async () => {
    const root = bins.root;
    const vendorHome = join(root, 'vendor');
    const relayData = join(root, 'relay');
    const revocations = join(vendorHome, 'revocations.json');
    expect(
      runBin('assent-engineer', ['vendor', 'init', '--vendor', 'Acme', '--vendor-home', vendorHome])
        .code,
    ).toBe(0);
    const engineers = ['erin', 'finn'].map((name) => {
      const issued = runBin('assent-engineer', [
        'vendor',
        'issue',
        '--name',
        name,
        '--email',
        `${name}@acme.example`,
        '--vendor-home',
        vendorHome,
      ]);
      expect(issued.code).toBe(0);
      const serial = /Issued credential ([0-9a-f]{32})/.exec(issued.stderr)![1]!;
      const home = join(root, name);
      expect(
        runBin('assent-engineer', ['login', '-', '--home', home], { input: issued.stdout }).code,
      ).toBe(0);
      return { serial, home };
    });
    const [erin, finn] = engineers as [(typeof engineers)[0], (typeof engineers)[0]];

    const mistyped = runBin('assent-engineer', [
      'vendor',
      'revoke',
      erin.serial.slice(1),
      '--vendor-home',
      vendorHome,
    ]);
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr).toMatch(/is not a credential serial.*\(USAGE\)/);
    const stranger = 'f'.repeat(32);
    const unknown = runBin('assent-engineer', [
      'vendor',
      'revoke',
      stranger,
      '--vendor-home',
      vendorHome,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nothing was revoked.*--force.*\(CREDENTIAL_UNKNOWN\)/);
    expect(existsSync(revocations)).toBe(false);

    const revoked = runBin('assent-engineer', [
      'vendor',
      'revoke',
      erin.serial,
      '--vendor-home',
      vendorHome,
    ]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('Revocation list sequence 1: 1 revoked.');
    expect(JSON.parse(readFileSync(revocations, 'utf8'))).toMatchObject({
      sequence: 1,
      revokedSerials: [erin.serial],
    });

    mkdirSync(relayData);
    copyFileSync(join(vendorHome, 'vendor.pub'), join(relayData, 'vendor.pub'));
    copyFileSync(revocations, join(relayData, 'revocations.json'));
    const { url } = await bins.relay(relayData);
    const connect = (home: string) =>
      bins.start('assent-engineer', [
        'connect',
        '123',
        '456',
        '7890',
        '--relay',
        url,
        '--home',
        home,
      ]);
    // Erin is refused for her credential; Finn gets as far as the code, which no agent holds.
    const refused = connect(erin.home);
    await refused.expect(/Could not join: your credential has been revoked/);
    expect(await refused.exited).not.toBe(0);
    const admitted = connect(finn.home);
    await admitted.expect(/Could not join: the code is unknown, expired or already used/);
    expect(admitted.text).not.toMatch(/revoked/i);

    // A serial issued elsewhere is revoked on purpose with --force.
    const forced = runBin('assent-engineer', [
      'vendor',
      'revoke',
      stranger,
      '--force',
      '--vendor-home',
      vendorHome,
    ]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(revocations, 'utf8'))).toMatchObject({ sequence: 2 });
  });
});
