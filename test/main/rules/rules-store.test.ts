import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { signRulesProposal } from '../../../console/rules/rules-signing';
import { rulesFingerprint } from '../../../platform/ground-rules';
import { canonicalJson } from '../../../protocol/identity';
import { countersignRules, verifyCountersignedRules } from '../../../main/rules/rules-signing';
import {
  installRulesInForce,
  loadEffectiveRules,
  loadRulesInForce,
  rulesInForcePath,
} from '../../../main/rules/rules-store';
import { generateSigningKeyPair } from '../../../platform/signing';
import type { AssentError } from '../../../protocol/errors';
import { rulesBody } from '../consent/fixtures';

const vendor = generateSigningKeyPair();
const otherVendor = generateSigningKeyPair();
const device = generateSigningKeyPair();
const otherDevice = generateSigningKeyPair();
const trust = { vendorPublicKey: vendor.publicKey, devicePublicKey: device.publicKey };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as AssentError).code;
  }
  return undefined;
}

describe('jointly signed ground rules', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assent-rules-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const proposal = () => signRulesProposal(rulesBody(), vendor, 'Acme support');
  const countersigned = () => countersignRules(proposal(), device, 'Carol Admin');

  it('the fingerprint agent and console show is the sha256 of the canonical body in groups of 4 hex', () => {
    const hex = createHash('sha256').update(canonicalJson(rulesBody())).digest('hex');
    expect(rulesFingerprint(rulesBody())).toBe(hex.match(/.{4}/g)!.join(' '));
    expect(rulesFingerprint(rulesBody())).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){15}$/);
  });

  it('a countersigned document verifies, installs atomically and loads', async () => {
    const doc = countersigned();
    expect(doc.customerSignature.fingerprint).toBe(rulesFingerprint(doc.rules));
    expect(verifyCountersignedRules(doc, trust)).toEqual(doc);
    await installRulesInForce(dir, doc, trust);
    const loaded = await loadRulesInForce(dir, trust);
    expect(loaded.document).toEqual(doc);
    const { effective } = await loadEffectiveRules(dir, trust, {
      path: join(dir, 'no-policy.json'),
    });
    expect(effective.fingerprint).toBe(loaded.fingerprint);
  });

  it('refuses unsigned, vendor-only, other-vendor, other-device and expired documents', () => {
    expect(codeOf(() => verifyCountersignedRules(rulesBody(), trust))).toBe('RULES_UNSIGNED');
    expect(codeOf(() => verifyCountersignedRules(proposal(), trust))).toBe(
      'RULES_NOT_COUNTERSIGNED',
    );
    const foreign = countersignRules(
      signRulesProposal(rulesBody(), otherVendor, 'Mallory'),
      device,
      'Carol',
    );
    expect(codeOf(() => verifyCountersignedRules(foreign, trust))).toBe('RULES_OTHER_VENDOR');
    const elsewhere = countersignRules(proposal(), otherDevice, 'Carol');
    expect(codeOf(() => verifyCountersignedRules(elsewhere, trust))).toBe('RULES_OTHER_DEVICE');
    const expiring = countersignRules(
      signRulesProposal(rulesBody({ validUntil: '2026-01-01T00:00:00Z' }), vendor, 'Acme'),
      device,
      'Carol',
    );
    expect(
      codeOf(() =>
        verifyCountersignedRules(expiring, {
          ...trust,
          now: () => Date.parse('2026-06-01T00:00:00Z'),
        }),
      ),
    ).toBe('RULES_EXPIRED');
    expect(
      codeOf(() => verifyCountersignedRules({ kind: 'assent-countersigned-ground-rules' }, trust)),
    ).toBe('RULES_INVALID');
  });

  it('refuses a document with any field changed after signing', () => {
    const doc = countersigned();
    const tamper = (change: (d: ReturnType<typeof countersigned>) => void): string | undefined => {
      const copy = structuredClone(doc);
      change(copy);
      return codeOf(() => verifyCountersignedRules(copy, trust));
    };
    expect(tamper((d) => d.rules.readableRoots.push('/'))).toBe('RULES_SIGNATURE_INVALID');
    expect(tamper((d) => (d.rules.maxReadBytes += 1))).toBe('RULES_SIGNATURE_INVALID');
    expect(tamper((d) => (d.vendorSignature.signer = 'Someone else'))).toBe(
      'RULES_SIGNATURE_INVALID',
    );
    expect(tamper((d) => (d.customerSignature.admin = 'Mallory'))).toBe('RULES_SIGNATURE_INVALID');
    expect(tamper((d) => (d.customerSignature.fingerprint = '0000'))).toBe(
      'RULES_SIGNATURE_INVALID',
    );
  });

  it('refuses a stored document with one byte changed, and reports a missing one', async () => {
    await expect(loadRulesInForce(dir, trust)).rejects.toMatchObject({ code: 'RULES_MISSING' });
    await installRulesInForce(dir, countersigned(), trust);
    const file = rulesInForcePath(dir);
    const text = await readFile(file, 'utf8');
    // "maxWriteBytes": 65536 -> 95536: one byte.
    const changed = text.replace('"maxWriteBytes": 65536', '"maxWriteBytes": 95536');
    expect(changed).not.toBe(text);
    await writeFile(file, changed);
    await expect(loadRulesInForce(dir, trust)).rejects.toMatchObject({
      code: 'RULES_SIGNATURE_INVALID',
    });
    await writeFile(file, text.slice(0, 100));
    await expect(loadRulesInForce(dir, trust)).rejects.toMatchObject({ code: 'RULES_INVALID' });
  });
});
