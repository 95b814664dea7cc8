import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseGroundRules } from '../../../console/rules/rules-signing';
import { EffectiveRules } from '../../../main/rules/effective-rules';
import { commandAction, fileAction } from '../consent/fixtures';

describe('docs/ground-rules.example.json', () => {
  it('is a valid rules document whose standing consents work as described', async () => {
    const rules = parseGroundRules(
      JSON.parse(await readFile('docs/ground-rules.example.json', 'utf8')),
    );
    const effective = new EffectiveRules(rules, null, { platform: 'posix' });
    // Tuesday 2026-11-24 10:00 in Oslo.
    const now = Date.parse('2026-11-24T09:00:00Z');
    const logRead = effective.evaluate(fileAction('file.read', '/var/log/acme-ledger/app.log'), {
      now,
    });
    expect(logRead).toMatchObject({ allowed: true, standing: { kind: 'file.read' } });
    expect(
      effective.evaluate(commandAction('acme-ledger-status', ['acme-ledger-status']), { now }),
    ).toMatchObject({
      allowed: true,
      standing: { command: 'acme-ledger-status' },
    });
    expect(
      effective.evaluate(fileAction('file.read', '/opt/acme-ledger/data.sqlite'), { now }).allowed,
    ).toBe(false);
    expect(effective.summary().length).toBeGreaterThan(10);
  });
});
