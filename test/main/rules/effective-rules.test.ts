import { describe, expect, it } from 'vitest';
import type { ActionDescription } from '../../../main/consent/action';
import { keyFingerprint, generateSigningKeyPair } from '../../../platform/signing';
import { commandAction, effective, fileAction } from '../consent/fixtures';

const denied = (verdict: ReturnType<ReturnType<typeof effective>['evaluate']>): unknown =>
  verdict.allowed ? 'allowed' : verdict.basis;

describe('EffectiveRules.evaluate', () => {
  it('needs a readable root for reads and a writable root for writes, component-wise', () => {
    const rules = effective();
    expect(rules.evaluate(fileAction('file.read', '/srv/app/x')).allowed).toBe(true);
    expect(denied(rules.evaluate(fileAction('file.read', '/srv/application/x')))).toEqual({
      source: 'ground-rules',
      rule: 'readableRoots: /srv/application/x',
    });
    expect(denied(rules.evaluate(fileAction('file.write', '/srv/app/x')))).toEqual({
      source: 'ground-rules',
      rule: 'writableRoots: /srv/app/x',
    });
    expect(rules.evaluate(fileAction('file.write', '/srv/app/config/x')).allowed).toBe(true);
    // A rename needs both of its paths writable.
    const rename = fileAction('file.rename', '/srv/app/config/a', {
      paths: ['/srv/app/config/a', '/srv/app/b'],
    });
    expect(rules.evaluate(rename).allowed).toBe(false);
    // An action that names no path is refused rather than assumed safe.
    expect(rules.evaluate({ ...fileAction('file.read', '/srv/app/x'), match: {} }).allowed).toBe(
      false,
    );
  });

  it('applies size limits given in the description', () => {
    const rules = effective();
    expect(
      rules.evaluate(fileAction('file.read', '/srv/app/x', { size: 1024 * 1024 })).allowed,
    ).toBe(true);
    expect(
      denied(rules.evaluate(fileAction('file.read', '/srv/app/x', { size: 1024 * 1024 + 1 }))),
    ).toEqual({
      source: 'ground-rules',
      rule: 'maxReadBytes: 1048577 > 1048576',
    });
    expect(
      denied(rules.evaluate(fileAction('file.write', '/srv/app/config/x', { size: 65537 }))),
    ).toMatchObject({
      rule: 'maxWriteBytes: 65537 > 65536',
    });
  });

  it('the machine policy narrows roots, limits, globs, terminal and kinds, and is never widened by the rules', () => {
    const rules = effective(
      { terminal: 'interactive', writableRoots: ['/srv/app'] },
      {
        readableRoots: ['/srv/app/logs', '/opt/other'],
        writableRoots: ['/srv/app/config'],
        maxReadBytes: 1000,
        deniedGlobs: ['**/*.sqlite'],
        terminal: 'supervised',
        deniedKinds: ['file.delete'],
        allowStandingConsents: false,
      },
    );
    expect(rules.evaluate(fileAction('file.read', '/srv/app/logs/a.log')).allowed).toBe(true);
    expect(denied(rules.evaluate(fileAction('file.read', '/srv/app/x')))).toEqual({
      source: 'machine-policy',
      rule: 'policy.readableRoots: /srv/app/x',
    });
    // The policy names /opt/other, but the rules never allowed it: intersection, not union.
    expect(denied(rules.evaluate(fileAction('file.read', '/opt/other/x')))).toMatchObject({
      source: 'ground-rules',
    });
    expect(denied(rules.evaluate(fileAction('file.write', '/srv/app/data/x')))).toMatchObject({
      source: 'machine-policy',
    });
    expect(
      denied(rules.evaluate(fileAction('file.read', '/srv/app/logs/big', { size: 1001 }))),
    ).toEqual({
      source: 'machine-policy',
      rule: 'policy.maxReadBytes: 1001 > 1000',
    });
    expect(denied(rules.evaluate(fileAction('file.read', '/srv/app/logs/x.SQLite')))).toEqual({
      source: 'machine-policy',
      rule: 'policy.deniedGlobs[0]: **/*.sqlite',
    });
    expect(rules.evaluate(commandAction('ls', ['ls'])).allowed).toBe(true);
    const interactive: ActionDescription = {
      ...commandAction('', []),
      kind: 'terminal.interactive',
    };
    expect(denied(rules.evaluate(interactive))).toEqual({
      source: 'machine-policy',
      rule: 'policy.terminal: supervised',
    });
    expect(denied(rules.evaluate(fileAction('file.delete', '/srv/app/config/x')))).toEqual({
      source: 'machine-policy',
      rule: 'policy.deniedKinds: file.delete',
    });
    expect(rules.standingConsents).toEqual([]);
    expect(rules.terminal).toBe('supervised');
    // A policy cannot widen: a larger limit or a looser terminal mode changes nothing.
    const loose = effective(
      { terminal: 'off' },
      { maxReadBytes: 10 ** 12, terminal: 'interactive' },
    );
    expect(loose.maxReadBytes).toBe(1024 * 1024);
    expect(denied(loose.evaluate(commandAction('ls', ['ls'])))).toEqual({
      source: 'ground-rules',
      rule: 'terminal: off',
    });
  });

  it('refuses outside support hours, in the rules’ time zone', () => {
    const rules = effective({
      supportHours: { timeZone: 'Asia/Tokyo', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
    });
    const action = fileAction('file.read', '/srv/app/x');
    // Monday 2026-11-23 10:00 in Tokyo is 01:00 UTC.
    expect(rules.evaluate(action, { now: Date.parse('2026-11-23T01:00:00Z') }).allowed).toBe(true);
    expect(rules.evaluate(action, { now: Date.parse('2026-11-23T08:00:00Z') }).allowed).toBe(false);
    // Sunday in Tokyo.
    const sunday = rules.evaluate(action, { now: Date.parse('2026-11-22T01:00:00Z') });
    expect(denied(sunday)).toMatchObject({
      source: 'ground-rules',
      rule: expect.stringMatching(/^supportHours/),
    });
  });

  it('refuses after the session length and after validUntil', () => {
    const rules = effective({ sessionMaxMinutes: 30, validUntil: '2026-12-01T00:00:00Z' });
    const action = fileAction('file.read', '/srv/app/x');
    const start = Date.parse('2026-11-23T10:00:00Z');
    expect(
      rules.evaluate(action, { now: start + 29 * 60_000, sessionStartedAt: start }).allowed,
    ).toBe(true);
    expect(
      denied(rules.evaluate(action, { now: start + 31 * 60_000, sessionStartedAt: start })),
    ).toEqual({
      source: 'ground-rules',
      rule: 'sessionMaxMinutes: 30',
    });
    expect(
      denied(rules.evaluate(action, { now: Date.parse('2026-12-02T00:00:00Z') })),
    ).toMatchObject({
      rule: 'validUntil: 2026-12-01T00:00:00Z',
    });
  });

  it('allows fixes only from the listed signers', () => {
    const trusted = generateSigningKeyPair();
    const other = generateSigningKeyPair();
    const rules = effective({
      fixSigners: [{ name: 'Acme release', publicKey: trusted.publicKey }],
    });
    const fix = (publicKey: string): ActionDescription => ({
      kind: 'fix.apply',
      target: 'FIX-1',
      params: {},
      match: { product: 'app' },
      preview: {
        kind: 'fix.apply',
        fix: {
          id: 'FIX-1',
          product: 'app',
          fixKind: 'permanent',
          description: 'd',
          toVersion: '2',
          signer: 'someone',
          signerFingerprint: keyFingerprint(publicKey),
          targetRoot: '/opt/app',
          files: [],
          checks: [],
        },
      },
    });
    expect(rules.evaluate(fix(trusted.publicKey)).allowed).toBe(true);
    expect(denied(rules.evaluate(fix(other.publicKey)))).toMatchObject({
      source: 'ground-rules',
      rule: expect.stringMatching(/^fixSigners/),
    });
    expect(
      effective(
        { fixSigners: [{ name: 'x', publicKey: trusted.publicKey }] },
        { allowFixes: false },
      ).evaluate(fix(trusted.publicKey)).allowed,
    ).toBe(false);
  });

  it('summarizes the rules for people, with the fingerprint in groups of 4 hex', () => {
    const rules = effective(
      { standingConsents: [{ kind: 'file.read', under: '/var/log/app' }] },
      { maxWriteBytes: 1024 },
    );
    expect(rules.fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    const text = rules.summary().join('\n');
    expect(text).toContain('Readable folders: /srv/app, /var/log/app');
    expect(text).toContain('largest file written: 1 KiB');
    expect(text).toContain('Without asking: file.read under /var/log/app');
    expect(text).toContain('Machine policy:');
  });
});

describe('SupportHours schema', () => {
  it('refuses unknown time zones, impossible times and an end before the start', () => {
    expect(() =>
      effective({
        supportHours: { timeZone: 'Mars/Olympus', days: [1], start: '09:00', end: '17:00' },
      }),
    ).toThrow(/IANA/);
    expect(() =>
      effective({ supportHours: { timeZone: 'UTC', days: [1], start: '25:00', end: '26:00' } }),
    ).toThrow();
    expect(() =>
      effective({ supportHours: { timeZone: 'UTC', days: [1], start: '17:00', end: '09:00' } }),
    ).toThrow(/after start/);
    expect(
      effective({
        supportHours: { timeZone: 'UTC', days: [7], start: '00:00', end: '24:00' },
      }).evaluate(fileAction('file.read', '/srv/app/x'), {
        now: Date.parse('2026-11-22T23:59:00Z'),
      }).allowed,
    ).toBe(true);
  });
});

describe('parser placeholders and interactive windows', () => {
  it('no standing consent or session scope covers a line the parser could not read, or an interactive window', async () => {
    const { UNPARSED_COMMAND, INTERACTIVE_COMMAND } = await import('../../../protocol/terminal');
    const { scopeCovers } = await import('../../../main/consent/consent-scope');
    const rules = effective({
      terminal: 'interactive',
      standingConsents: [
        { kind: 'terminal.command', command: UNPARSED_COMMAND },
        { kind: 'terminal.interactive' },
      ],
    });
    const unparsed = commandAction('eval "$x"', [UNPARSED_COMMAND]);
    const verdict = rules.evaluate(unparsed);
    expect(verdict.allowed && verdict.standing).toBeFalsy();
    expect(
      scopeCovers({ kind: 'terminal.command', command: UNPARSED_COMMAND }, unparsed, 'posix'),
    ).toBe(false);
    expect(
      rules.scopeRefusal({ kind: 'terminal.command', command: UNPARSED_COMMAND }),
    ).not.toBeNull();
    expect(
      rules.scopeRefusal({ kind: 'terminal.command', command: INTERACTIVE_COMMAND }),
    ).not.toBeNull();
    expect(rules.scopeRefusal({ kind: 'terminal.interactive' })).not.toBeNull();
    const window: ActionDescription = {
      ...unparsed,
      kind: 'terminal.interactive',
      match: { commands: [INTERACTIVE_COMMAND] },
    };
    expect(scopeCovers({ kind: 'terminal.interactive' }, window, 'posix')).toBe(false);
    const windowVerdict = rules.evaluate(window);
    expect(windowVerdict.allowed && windowVerdict.standing).toBeFalsy();
  });
});
