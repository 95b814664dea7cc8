// Consent over a real session: relay on 127.0.0.1:0, agent, engineer console,
// end-to-end channel, the real file handlers and a real audit log.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditLogPath } from '../../../main/audit/audit-log';
import type { ConsentPrompt } from '../../../main/consent/consent-engine';
import type { ChannelMessage } from '../../../protocol/wire/messages';
import { SessionHarness } from '../../support/session-harness';

const WATCHED = [
  'action.pending',
  'action.allowed',
  'action.denied',
  'action.result',
  'action.error',
  'grant.revoked',
  'grant.list',
] as const;

describe('consent over a real session', () => {
  let harness: SessionHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('asks, allows by standing consent, denies by rule, relays revocations, and denies what is pending at the end', async () => {
    harness = await SessionHarness.start({ rules: false });
    const root = harness.customerDir;
    mkdirSync(join(root, 'logs'), { recursive: true });
    mkdirSync(join(root, 'secrets'), { recursive: true });
    writeFileSync(join(root, 'logs', 'app.log'), 'log line\n');
    writeFileSync(join(root, 'data.txt'), 'data\n');
    writeFileSync(join(root, 'secrets', 'token.txt'), 'secret\n');
    await harness.installRules({
      deniedGlobs: ['**/secrets/**'],
      standingConsents: [{ kind: 'file.stat', under: join(root, 'logs') }],
    });
    const { engineer, services } = await harness.approvedSession();
    const received: ChannelMessage[] = [];
    for (const type of WATCHED) engineer.link.on(type, (m) => received.push(m));
    const answers = new Map<string, (p: ConsentPrompt) => void>();
    services.engine.on('prompt', (p: ConsentPrompt) => answers.get(p.requestId)?.(p));
    const of = (requestId: string): string[] =>
      received.filter((m) => 'requestId' in m && m.requestId === requestId).map((m) => m.type);
    const stat = (requestId: string, path: string): void =>
      engineer.link.send({
        type: 'action.request',
        requestId,
        kind: 'file.stat',
        params: { path },
      });

    // Standing consent: allowed without a prompt.
    stat('s1', join(root, 'logs', 'app.log'));
    await expect.poll(() => of('s1')).toEqual(['action.allowed', 'action.result']);
    const allowed = received.find((m) => m.type === 'action.allowed' && m.requestId === 's1');
    expect(allowed).toMatchObject({ basis: { source: 'standing-consent' } });

    // Asked: the engineer sees it pending, then allowed by the approver.
    answers.set('s2', (p) =>
      services.engine.decide(p.id, { how: 'allow-once' }, { approver: 'Ann' }),
    );
    stat('s2', join(root, 'data.txt'));
    await expect
      .poll(() => of('s2'))
      .toEqual(['action.pending', 'action.allowed', 'action.result']);

    // Denied by a rule: the engineer is told which one, nobody is asked.
    stat('s3', join(root, 'secrets', 'token.txt'));
    await expect.poll(() => of('s3')).toEqual(['action.denied']);
    expect(received.find((m) => m.type === 'action.denied')).toMatchObject({
      code: 'CONSENT_DENIED_BY_RULE',
      basis: { source: 'ground-rules', rule: 'deniedGlobs[0]: **/secrets/**' },
    });

    // Allow similar, list, revoke: the engineer sees the revocation.
    answers.set('s4', (p) =>
      services.engine.decide(
        p.id,
        { how: 'allow-session', scope: { kind: 'file.stat', pathPrefix: root } },
        { approver: 'Ann' },
      ),
    );
    stat('s4', join(root, 'data.txt'));
    await expect
      .poll(() => of('s4'))
      .toEqual(['action.pending', 'action.allowed', 'action.result']);
    stat('s5', root);
    await expect.poll(() => of('s5')).toEqual(['action.allowed', 'action.result']);
    engineer.link.send({ type: 'grant.list-request', requestId: 'g1' });
    await expect.poll(() => of('g1')).toEqual(['grant.list']);
    const list = received.find((m) => m.type === 'grant.list')!;
    const grantId = list.type === 'grant.list' ? list.grants[0]!.id : '';
    services.engine.revoke(grantId);
    await expect.poll(() => received.filter((m) => m.type === 'grant.revoked').length).toBe(1);

    // Pending when the session ends: denied as session-ended, and the audit log says so.
    stat('s6', join(root, 'data.txt'));
    await expect.poll(() => services.engine.pending().length).toBe(1);
    await engineer.endSession();
    await expect.poll(() => services.engine.pending().length).toBe(0);
    const dataDir = harness.dataDir;
    const decided = async () =>
      (await readFile(auditLogPath(dataDir), 'utf8'))
        .split('\n')
        .filter((line) => line.includes('"action.decided"'))
        .map((line) => JSON.parse(line) as { data: Record<string, unknown> })
        .map((r) => [r.data['requestId'], r.data['how']]);
    await expect.poll(decided).toEqual([
      ['s1', 'standing-consent'],
      ['s2', 'allow-once'],
      ['s3', 'CONSENT_DENIED_BY_RULE'],
      ['s4', 'allow-session'],
      ['s5', 'session-grant'],
      ['s6', 'CONSENT_SESSION_ENDED'],
    ]);
  });
});
