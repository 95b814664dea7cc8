import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runEngineerRulesCommand } from '../../../console/rules/rules-command';
import { verifyRulesProposal } from '../../../main/rules/rules-signing';
import { rulesFingerprint } from '../../../platform/ground-rules';
import { generateSigningKeyPair } from '../../../platform/signing';
import { rulesBody } from '../../main/consent/fixtures';

const vendor = generateSigningKeyPair();

describe('assent-engineer rules', () => {
  let dir: string;
  let lines: string[];
  const io = () => ({
    vendorKey: () => vendor,
    vendorName: 'Acme support',
    out: (l: string) => lines.push(l),
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assent-engineer-rules-'));
    lines = [];
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('signs a rules document into rules.signed.json that the agent verifies', async () => {
    const file = join(dir, 'rules.json');
    const {
      interactiveMinutes: _i,
      requireTerminalRecording: _r,
      ...withoutDefaults
    } = rulesBody();
    await writeFile(file, JSON.stringify(withoutDefaults));
    expect(await runEngineerRulesCommand(['sign', file], io())).toBe(0);
    const signed = JSON.parse(await readFile(join(dir, 'rules.signed.json'), 'utf8')) as unknown;
    const proposal = verifyRulesProposal(signed, vendor.publicKey);
    expect(proposal.vendorSignature.signer).toBe('Acme support');
    expect(lines).toContain(`Fingerprint: ${rulesFingerprint(proposal.rules)}`);
    lines.length = 0;
    expect(
      await runEngineerRulesCommand(['fingerprint', join(dir, 'rules.signed.json')], io()),
    ).toBe(0);
    expect(await runEngineerRulesCommand(['fingerprint', file], io())).toBe(0);
    expect(lines[0]).toBe(lines[1]);
  });

  it('writes to --out', async () => {
    const file = join(dir, 'rules.json');
    await writeFile(file, JSON.stringify(rulesBody()));
    expect(await runEngineerRulesCommand(['sign', file, '--out', join(dir, 'x.json')], io())).toBe(
      0,
    );
    expect(JSON.parse(await readFile(join(dir, 'x.json'), 'utf8'))).toMatchObject({
      kind: 'assent-signed-ground-rules',
    });
  });

  it('explains schema errors field by field and refuses unknown fields', async () => {
    const file = join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify({ ...rulesBody(), terminal: 'root-shell', maxReadBytes: -1, extra: true }),
    );
    expect(await runEngineerRulesCommand(['sign', file], io())).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/^error RULES_INVALID/);
    expect(text).toContain('terminal:');
    expect(text).toContain('maxReadBytes:');
    expect(text).toMatch(/extra/);
    await writeFile(file, '{ not json');
    expect(await runEngineerRulesCommand(['sign', file], io())).toBe(1);
    expect(lines.at(-1)).toMatch(/^error RULES_INVALID/);
    expect(await runEngineerRulesCommand(['sign', join(dir, 'missing.json')], io())).toBe(1);
    expect(lines.at(-1)).toMatch(/^error IO_FAILED/);
    expect(await runEngineerRulesCommand(['sign'], io())).toBe(2);
    expect(await runEngineerRulesCommand(['sign', file, '--out'], io())).toBe(2);
  });
});
