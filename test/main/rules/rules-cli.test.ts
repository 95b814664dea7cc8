import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signRulesProposal } from '../../../console/rules/rules-signing';
import { runRulesCommand, type AgentRulesIo } from '../../../main/rules/rules-cli';
import { loadRulesInForce } from '../../../main/rules/rules-store';
import { generateSigningKeyPair } from '../../../platform/signing';
import { rulesBody } from '../consent/fixtures';

const vendor = generateSigningKeyPair();
const device = generateSigningKeyPair();

describe('assent-agent rules', () => {
  let dir: string;
  let lines: string[];
  let questions: string[];
  let answer: boolean;
  let io: AgentRulesIo;
  const trust = { vendorPublicKey: vendor.publicKey, devicePublicKey: device.publicKey };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assent-rules-cli-'));
    lines = [];
    questions = [];
    answer = true;
    io = {
      dataDir: join(dir, 'data'),
      deviceKey: () => device,
      vendorPublicKey: () => vendor.publicKey,
      out: (line) => lines.push(line),
      confirm: async (q) => {
        // The summary and fingerprint must already be on screen when the question is asked.
        expect(lines.some((l) => l.startsWith('Fingerprint: '))).toBe(true);
        questions.push(q);
        return answer;
      },
      policy: { path: join(dir, 'no-policy.json') },
    };
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function proposalFile(revision = 1, key = vendor): Promise<string> {
    const file = join(dir, `rules-${revision}.signed.json`);
    await writeFile(
      file,
      JSON.stringify(signRulesProposal(rulesBody({ revision }), key, 'Acme support')),
    );
    return file;
  }

  it('accept shows the summary and fingerprint first, asks, then countersigns and installs', async () => {
    expect(await runRulesCommand(['accept', await proposalFile(), '--admin', 'Carol'], io)).toBe(0);
    expect(questions).toEqual(['Accept these ground rules for this machine as Carol?']);
    const fingerprintAt = lines.findIndex((l) => l.startsWith('Fingerprint: '));
    expect(lines.findIndex((l) => l.includes('Readable folders'))).toBeLessThan(fingerprintAt);
    const inForce = await loadRulesInForce(io.dataDir, trust);
    expect(inForce.document.customerSignature.admin).toBe('Carol');
    expect(lines.at(-1)).toContain(inForce.fingerprint);
    lines.length = 0;
    expect(await runRulesCommand(['show'], io)).toBe(0);
    expect(lines.join('\n')).toContain(`Fingerprint: ${inForce.fingerprint}`);
  });

  it("warns before the question when a root lies inside the agent's own data folder", async () => {
    const inside = join(io.dataDir, 'files');
    const file = join(dir, 'inside.signed.json');
    await writeFile(
      file,
      JSON.stringify(
        signRulesProposal(
          rulesBody({ readableRoots: [inside, '/srv/app'], writableRoots: [inside] }),
          vendor,
          'Acme support',
        ),
      ),
    );
    expect(await runRulesCommand(['accept', file, '--admin', 'Carol'], io)).toBe(0);
    const warnings = lines.filter((l) => l.startsWith('Warning: '));
    expect(warnings).toEqual([
      `Warning: ${inside} is inside the agent's own data folder (${io.dataDir}); the agent refuses every action there, whatever these rules allow.`,
    ]);
    const fingerprintAt = lines.findIndex((l) => l.startsWith('Fingerprint: '));
    expect(lines.indexOf(warnings[0]!)).toBeLessThan(fingerprintAt);
  });

  it('declining installs nothing', async () => {
    answer = false;
    expect(await runRulesCommand(['accept', await proposalFile()], io)).toBe(1);
    await expect(loadRulesInForce(io.dataDir, trust)).rejects.toMatchObject({
      code: 'RULES_MISSING',
    });
    expect(await runRulesCommand(['show'], io)).toBe(1);
    expect(lines.at(-1)).toMatch(/^error RULES_MISSING/);
  });

  it('--yes skips the question; an older revision cannot replace a newer one', async () => {
    expect(await runRulesCommand(['accept', await proposalFile(3), '--yes'], io)).toBe(0);
    expect(questions).toEqual([]);
    expect(await runRulesCommand(['accept', await proposalFile(2), '--yes'], io)).toBe(1);
    expect(lines.at(-1)).toMatch(/^error RULES_REVISION_OLD/);
  });

  it('refuses a proposal from another vendor, unsigned rules and bad usage', async () => {
    expect(
      await runRulesCommand(
        ['accept', await proposalFile(1, generateSigningKeyPair()), '--yes'],
        io,
      ),
    ).toBe(1);
    expect(lines.at(-1)).toMatch(/^error RULES_OTHER_VENDOR/);
    const plain = join(dir, 'plain.json');
    await writeFile(plain, JSON.stringify(rulesBody()));
    expect(await runRulesCommand(['accept', plain, '--yes'], io)).toBe(1);
    expect(lines.at(-1)).toMatch(/^error RULES_UNSIGNED/);
    expect(await runRulesCommand(['accept'], io)).toBe(2);
    expect(await runRulesCommand(['accept', plain, '--admin'], io)).toBe(2);
    expect(await runRulesCommand(['frobnicate'], io)).toBe(2);
  });
});
