// The headless approver's decisions as typed (`allow 3`, `allow-session 3
// --minutes 10 --under /srv/app/logs`, `deny 3 reason`), over a real
// ConsentEngine: what each does, and the clear USAGE error for each mistake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentEngine, type ConsentPrompt } from '../../../main/consent/consent-engine';
import { consentConsole, parseDecisionCommand } from '../../../main/headless/consent-commands';
import { isAssentError } from '../../../protocol/errors';
import { commandAction, effective, fileAction, nextEvent, tempAudit } from '../consent/fixtures';

type Audit = Awaited<ReturnType<typeof tempAudit>>;

function usage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isAssentError(error, 'USAGE')) return error.message;
    throw error;
  }
  throw new Error('expected a USAGE error');
}

describe('parseDecisionCommand', () => {
  it('reads the three decisions and their options', () => {
    expect(parseDecisionCommand('allow', ['3'])).toEqual({
      index: 3,
      decision: { how: 'allow-once' },
    });
    expect(parseDecisionCommand('deny', ['2', 'not', 'today'])).toEqual({
      index: 2,
      decision: { how: 'deny', reason: 'not today' },
    });
    expect(
      parseDecisionCommand('allow-session', [
        '4',
        '--minutes',
        '10',
        '--uses',
        '5',
        '--under',
        '/srv/app/logs',
      ]),
    ).toEqual({
      index: 4,
      decision: { how: 'allow-session', minutes: 10, uses: 5, under: '/srv/app/logs' },
    });
  });

  it('says what is wrong with a mistyped decision', () => {
    expect(usage(() => parseDecisionCommand('allow', []))).toMatch(/Say which request/);
    expect(usage(() => parseDecisionCommand('allow', ['x']))).toMatch(/Say which request/);
    expect(usage(() => parseDecisionCommand('allow', ['0']))).toMatch(/Say which request/);
    expect(usage(() => parseDecisionCommand('allow-session', ['1', '--minutes']))).toBe(
      '--minutes needs a value.',
    );
    expect(usage(() => parseDecisionCommand('allow-session', ['1', '--uses', '1.5']))).toBe(
      '--uses takes a whole number above 0.',
    );
    expect(usage(() => parseDecisionCommand('allow-session', ['1', '--forever', 'yes']))).toBe(
      'Unknown option --forever.',
    );
    expect(usage(() => parseDecisionCommand('allow-session', ['1', '--under', 'logs']))).toBe(
      '--under takes an absolute path (logs is not one).',
    );
  });
});

describe('consentConsole', () => {
  let audit: Audit;
  beforeEach(async () => {
    audit = await tempAudit();
  });
  afterEach(async () => audit.cleanup());

  it('numbers prompts, turns typed decisions into engine decisions, and refuses what does not apply', async () => {
    const engine = new ConsentEngine({ sessionId: 's-1', rules: effective(), audit: audit.log });
    const console = consentConsole(engine, (p) => [p.preview.kind]);
    const shown: string[][] = [];
    console.onPrompt((lines) => shown.push(lines));

    const first = nextEvent<ConsentPrompt>(engine, 'prompt');
    const read = engine.request(fileAction('file.read', '/srv/app/logs/a.log', { size: 1 }), {
      requestId: 'r1',
    });
    await first;
    expect(shown[0]![0]).toBe('=== CONSENT REQUEST #1 ===');
    expect(usage(() => console.decide(2, { how: 'allow-once' }))).toMatch(/no request #2/);
    console.decide(1, { how: 'allow-session', minutes: 10, under: '/srv/app/logs' });
    await read;
    expect(engine.grants()).toEqual([
      expect.objectContaining({
        scope: expect.objectContaining({ kind: 'file.read', pathPrefix: '/srv/app/logs' }),
      }),
    ]);
    // Decided: its number is gone.
    expect(usage(() => console.decide(1, { how: 'allow-once' }))).toMatch(/no request #1/);

    const second = nextEvent<ConsentPrompt>(engine, 'prompt');
    const run = engine.request(commandAction('ls -l', ['ls']), { requestId: 'r2' });
    await second;
    expect(usage(() => console.decide(2, { how: 'allow-session', under: '/srv/app' }))).toBe(
      '--under applies to file requests only.',
    );
    console.decide(2, { how: 'deny', reason: 'no' });
    await expect(run).rejects.toMatchObject({ code: 'CONSENT_DENIED' });
    expect(console.listPending()).toEqual(['Nothing is waiting for a decision.']);
  });
});
