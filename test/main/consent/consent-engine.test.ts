import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssentError } from '../../../protocol/errors';
import {
  ConsentEngine,
  type ConsentNotice,
  type ConsentPrompt,
} from '../../../main/consent/consent-engine';
import { assertGrantFor } from '../../../main/consent/grant';
import type { GrantInfo } from '../../../protocol/consent';
import { commandAction, effective, fileAction, nextEvent, tempAudit } from './fixtures';

type Audit = Awaited<ReturnType<typeof tempAudit>>;

async function rejection(promise: Promise<unknown>): Promise<AssentError> {
  try {
    await promise;
  } catch (err) {
    return err as AssentError;
  }
  throw new Error('expected a rejection');
}

describe('ConsentEngine', () => {
  let audit: Audit;
  let clock: number;
  const now = (): number => clock;
  const engineWith = (rules = effective(), timeoutMs = 10_000): ConsentEngine =>
    new ConsentEngine({ sessionId: 's-1', rules, audit: audit.log, now, timeoutMs });

  beforeEach(async () => {
    audit = await tempAudit();
    clock = Date.parse('2026-11-23T10:00:00Z');
  });
  afterEach(async () => audit.cleanup());

  it('allow-once: prompts, grants a grant bound to the digest, audits request and decision', async () => {
    const engine = engineWith();
    const action = fileAction('file.read', '/srv/app/readme.txt', { size: 10 });
    const prompted = nextEvent<ConsentPrompt>(engine, 'prompt');
    const result = engine.request(action, { requestId: 'r1' });
    const prompt = await prompted;
    expect(engine.pending()).toEqual([prompt]);
    expect(prompt.decideBy - prompt.createdAt).toBe(10_000);
    engine.decide(prompt.id, { how: 'allow-once' }, { approver: 'alice' });
    const grant = await result;
    expect(grant.basis.source).toBe('approver');
    expect(() => assertGrantFor(grant, action)).not.toThrow();
    expect(engine.pending()).toEqual([]);
    expect(engine.grants()).toEqual([]);
    const records = await audit.records();
    expect(records.map((r) => r.type)).toEqual(['action.requested', 'action.decided']);
    expect(records[0]!.data['digest']).toBe(grant.digest);
    expect(records[1]!.data).toMatchObject({ allowed: true, how: 'allow-once', by: 'alice' });
    expect(records[1]!.actor).toBe('approver');
  });

  it('deny: throws CONSENT_DENIED with the approver as basis', async () => {
    const engine = engineWith();
    engine.on('prompt', (p: ConsentPrompt) =>
      engine.decide(p.id, { how: 'deny', reason: 'not now' }, { approver: 'alice' }),
    );
    const err = await rejection(
      engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' }),
    );
    expect(err.code).toBe('CONSENT_DENIED');
    expect(err.details?.['basis']).toMatchObject({ source: 'approver' });
    const decided = (await audit.records()).find((r) => r.type === 'action.decided')!;
    expect(decided.data).toMatchObject({ allowed: false, how: 'CONSENT_DENIED', by: 'alice' });
  });

  it('timeout means deny (CONSENT_TIMEOUT)', async () => {
    const engine = engineWith(effective(), 30);
    const err = await rejection(
      engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' }),
    );
    expect(err.code).toBe('CONSENT_TIMEOUT');
    expect(err.details?.['basis']).toEqual({ source: 'timeout' });
    expect(engine.pending()).toEqual([]);
  });

  it('keeps several prompts in a queue and answers them in any order', async () => {
    const engine = engineWith();
    const prompts: ConsentPrompt[] = [];
    engine.on('prompt', (p: ConsentPrompt) => prompts.push(p));
    const a = engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'ra' });
    const b = engine.request(fileAction('file.read', '/srv/app/b'), { requestId: 'rb' });
    const c = engine.request(fileAction('file.stat', '/srv/app/c'), { requestId: 'rc' });
    await expect.poll(() => engine.pending().length).toBe(3);
    expect(engine.pending().map((p) => p.requestId)).toEqual(['ra', 'rb', 'rc']);
    const bDenied = rejection(b);
    engine.decide(prompts[1]!.id, { how: 'deny' }, { approver: 'alice' });
    engine.decide(prompts[2]!.id, { how: 'allow-once' }, { approver: 'alice' });
    engine.decide(prompts[0]!.id, { how: 'allow-once' }, { approver: 'alice' });
    await expect(a).resolves.toBeDefined();
    expect((await bDenied).code).toBe('CONSENT_DENIED');
    await expect(c).resolves.toBeDefined();
    expect(() => engine.decide(prompts[0]!.id, { how: 'allow-once' }, { approver: 'x' })).toThrow(
      expect.objectContaining({ code: 'CONSENT_PROMPT_UNKNOWN' }),
    );
  });

  it('engineer cancel ends a waiting prompt (CONSENT_CANCELLED), also through the abort signal', async () => {
    const engine = engineWith();
    const resolved: string[] = [];
    engine.on('prompt-resolved', (r: { outcome: string }) => resolved.push(r.outcome));
    const first = engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' });
    await nextEvent(engine, 'prompt');
    engine.cancel('r1');
    expect((await rejection(first)).code).toBe('CONSENT_CANCELLED');
    const controller = new AbortController();
    const second = engine.request(fileAction('file.read', '/srv/app/b'), {
      requestId: 'r2',
      signal: controller.signal,
    });
    await nextEvent(engine, 'prompt');
    controller.abort();
    expect((await rejection(second)).code).toBe('CONSENT_CANCELLED');
    expect(resolved).toEqual(['cancelled', 'cancelled']);
  });

  it('rules first: a denied glob refuses without a prompt and names the rule', async () => {
    const engine = engineWith();
    engine.on('prompt', () => {
      throw new Error('must not prompt');
    });
    const err = await rejection(
      engine.request(fileAction('file.read', '/srv/app/secrets/db.txt'), { requestId: 'r1' }),
    );
    expect(err.code).toBe('CONSENT_DENIED_BY_RULE');
    expect(err.details?.['basis']).toEqual({
      source: 'ground-rules',
      rule: 'deniedGlobs[0]: **/secrets/**',
    });
    const err2 = await rejection(
      engine.request(fileAction('file.read', '/srv/app/.ssh/id_ed25519'), { requestId: 'r2' }),
    );
    expect((err2.details?.['basis'] as { rule: string }).rule).toMatch(/^defaultDeniedGlobs\[0\]/);
  });

  it('standing consent allows without asking, emits a notice and audits it', async () => {
    const rules = effective({
      readableRoots: ['/var/log'],
      standingConsents: [{ kind: 'file.read', under: '/var/log/app', description: 'logs' }],
    });
    const engine = engineWith(rules);
    const notices: ConsentNotice[] = [];
    engine.on('notice', (n: ConsentNotice) => notices.push(n));
    const grant = await engine.request(fileAction('file.read', '/var/log/app/x.log'), {
      requestId: 'r1',
    });
    expect(grant.basis).toEqual({
      source: 'standing-consent',
      rule: 'standingConsents[0]: file.read under /var/log/app',
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.preview.digest).toBe(grant.digest);
    const decided = (await audit.records()).find((r) => r.type === 'action.decided')!;
    expect(decided.data).toMatchObject({ allowed: true, how: 'standing-consent' });
    expect(decided.actor).toBe('agent');
    // A sibling folder (`/var/log/app2`) is not covered: it is asked.
    const asked = nextEvent<ConsentPrompt>(engine, 'prompt');
    void engine
      .request(fileAction('file.read', '/var/log/app2/x.log'), { requestId: 'r2' })
      .catch(() => undefined);
    await expect(asked).resolves.toBeDefined();
    engine.close('test over');
  });

  it('allow-session covers later actions under the prefix only, not a sibling or another kind', async () => {
    const engine = engineWith(effective({ writableRoots: ['/srv/app'] }));
    const prompts: ConsentPrompt[] = [];
    engine.on('prompt', (p: ConsentPrompt) => prompts.push(p));
    const first = engine.request(fileAction('file.read', '/srv/app/b/one'), { requestId: 'r1' });
    await expect.poll(() => prompts.length).toBe(1);
    const changed = nextEvent<GrantInfo[]>(engine, 'grants-changed');
    engine.decide(
      prompts[0]!.id,
      { how: 'allow-session', scope: { kind: 'file.read', pathPrefix: '/srv/app/b' } },
      { approver: 'alice' },
    );
    await first;
    expect((await changed)[0]!.scope.pathPrefix).toBe('/srv/app/b');
    const second = await engine.request(fileAction('file.read', '/srv/app/b/c/two'), {
      requestId: 'r2',
    });
    expect(second.basis.source).toBe('session-grant');
    expect(engine.grants()[0]!.uses).toBe(2);
    // `/srv/app/bc` is a sibling, and a write under the prefix is another kind: both are asked.
    void engine
      .request(fileAction('file.read', '/srv/app/bc/x'), { requestId: 'r3' })
      .catch(() => undefined);
    void engine
      .request(fileAction('file.write', '/srv/app/b/x'), { requestId: 'r4' })
      .catch(() => undefined);
    await expect.poll(() => prompts.length).toBe(3);
    expect(prompts.map((p) => p.requestId)).toEqual(['r1', 'r3', 'r4']);
    engine.close('test over');
  });

  it('allow-session scopes must cover the prompted action and stay inside the rules', async () => {
    const engine = engineWith();
    const prompted = nextEvent<ConsentPrompt>(engine, 'prompt');
    const pending = engine.request(fileAction('file.read', '/srv/app/b/one'), { requestId: 'r1' });
    const prompt = await prompted;
    const bad = (scope: object): void =>
      engine.decide(prompt.id, { how: 'allow-session', scope } as never, { approver: 'alice' });
    expect(() => bad({ kind: 'file.read', pathPrefix: '/srv/app/bc' })).toThrow(
      expect.objectContaining({ code: 'CONSENT_SCOPE_INVALID' }),
    );
    expect(() => bad({ kind: 'file.write', pathPrefix: '/srv/app/b' })).toThrow(
      expect.objectContaining({ code: 'CONSENT_SCOPE_INVALID' }),
    );
    // `/` covers the action but reaches beyond the readable roots.
    expect(() => bad({ kind: 'file.read', pathPrefix: '/' })).toThrow(
      expect.objectContaining({ code: 'CONSENT_SCOPE_INVALID' }),
    );
    expect(engine.pending()).toHaveLength(1);
    bad({ kind: 'file.read', pathPrefix: '/srv/app' });
    await expect(pending).resolves.toBeDefined();
  });

  it('counts max uses and expires after N minutes (injected clock)', async () => {
    const engine = engineWith();
    const prompts: ConsentPrompt[] = [];
    engine.on('prompt', (p: ConsentPrompt) => prompts.push(p));
    const first = engine.request(commandAction('ls -l', ['ls']), { requestId: 'r1' });
    await expect.poll(() => prompts.length).toBe(1);
    engine.decide(
      prompts[0]!.id,
      { how: 'allow-session', scope: { kind: 'terminal.command', command: 'ls', maxUses: 2 } },
      { approver: 'alice' },
    );
    await first;
    expect(
      (await engine.request(commandAction('ls /srv', ['ls']), { requestId: 'r2' })).basis.source,
    ).toBe('session-grant');
    void engine
      .request(commandAction('ls /tmp', ['ls']), { requestId: 'r3' })
      .catch(() => undefined);
    await expect.poll(() => prompts.length).toBe(2);
    // A pipeline names two commands: a grant for `ls` does not cover `ls | sh`.
    engine.decide(
      prompts[1]!.id,
      { how: 'allow-session', scope: { kind: 'terminal.command', command: 'ls', minutes: 5 } },
      { approver: 'alice' },
    );
    void engine
      .request(commandAction('ls | sh', ['ls', 'sh']), { requestId: 'r4' })
      .catch(() => undefined);
    await expect.poll(() => prompts.length).toBe(3);
    clock += 4 * 60_000;
    expect(
      (await engine.request(commandAction('ls -a', ['ls']), { requestId: 'r5' })).basis.source,
    ).toBe('session-grant');
    clock += 60_000;
    void engine.request(commandAction('ls -b', ['ls']), { requestId: 'r6' }).catch(() => undefined);
    await expect.poll(() => prompts.length).toBe(4);
    // Spent and expired grants stay listed (revocable) while an action issued under them runs.
    expect(engine.grants()).toHaveLength(2);
    for (const id of ['r1', 'r2', 'r3', 'r5']) engine.finish(id);
    expect(engine.grants()).toEqual([]);
    engine.close('test over');
  });

  it('revoke aborts the signal of every grant issued under it and tells listeners', async () => {
    const engine = engineWith();
    const prompted = nextEvent<ConsentPrompt>(engine, 'prompt');
    const first = engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' });
    engine.decide(
      (await prompted).id,
      { how: 'allow-session', scope: { kind: 'file.read', pathPrefix: '/srv/app' } },
      { approver: 'alice' },
    );
    const g1 = await first;
    const g2 = await engine.request(fileAction('file.read', '/srv/app/b'), { requestId: 'r2' });
    const revoked = nextEvent<GrantInfo>(engine, 'grant-revoked');
    const [info] = engine.grants();
    engine.revoke(info!.id);
    expect((await revoked).id).toBe(info!.id);
    expect(g1.signal.aborted && g2.signal.aborted).toBe(true);
    expect((g2.signal.reason as AssentError).code).toBe('GRANT_REVOKED');
    expect(() => assertGrantFor(g2, fileAction('file.read', '/srv/app/b'))).toThrow(
      expect.objectContaining({ code: 'GRANT_REVOKED' }),
    );
    expect(engine.grants()).toEqual([]);
    expect(() => engine.revoke(info!.id)).toThrow(
      expect.objectContaining({ code: 'GRANT_UNKNOWN' }),
    );
    await expect
      .poll(async () => (await audit.records()).some((r) => r.type === 'grant.revoked'))
      .toBe(true);
  });

  it('close denies everything pending and aborts all grants', async () => {
    const engine = engineWith();
    const prompted = nextEvent<ConsentPrompt>(engine, 'prompt');
    const a = engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' });
    engine.decide((await prompted).id, { how: 'allow-once' }, { approver: 'alice' });
    const grant = await a;
    const waiting = engine.request(fileAction('file.read', '/srv/app/b'), { requestId: 'r2' });
    await expect.poll(() => engine.pending().length).toBe(1);
    engine.close('approver ended the session');
    expect((await rejection(waiting)).code).toBe('CONSENT_SESSION_ENDED');
    expect(grant.signal.aborted).toBe(true);
    const late = await rejection(
      engine.request(fileAction('file.read', '/srv/app/c'), { requestId: 'r3' }),
    );
    expect(late.code).toBe('CONSENT_SESSION_ENDED');
  });

  it('refuses a duplicate request id while the first is pending', async () => {
    const engine = engineWith();
    void engine
      .request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' })
      .catch(() => undefined);
    const err = await rejection(
      engine.request(fileAction('file.read', '/srv/app/b'), { requestId: 'r1' }),
    );
    expect(err.code).toBe('ACTION_DUPLICATE_REQUEST');
    engine.close('test over');
  });

  it('a standing consent whose records cannot be written gives no grant and no notice', async () => {
    const rules = effective({
      readableRoots: ['/var/log'],
      standingConsents: [{ kind: 'file.read', under: '/var/log/app', description: 'logs' }],
    });
    const refusing = {
      append: () => Promise.reject(new Error('disk refused')),
      appendAll: () => Promise.reject(new Error('disk refused')),
    };
    const engine = new ConsentEngine({ sessionId: 's-1', rules, audit: refusing, now });
    const notices: ConsentNotice[] = [];
    engine.on('notice', (n: ConsentNotice) => notices.push(n));
    await expect(
      engine.request(fileAction('file.read', '/var/log/app/x.log'), { requestId: 'r1' }),
    ).rejects.toThrow('disk refused');
    expect(notices).toEqual([]);
    engine.close('test over');
  });

  it('a session grant revoked while its use is being audited yields no grant', async () => {
    const hooks: { onDecided?: () => void } = {};
    const sink = {
      append: async (event: Parameters<typeof audit.log.append>[0]) => {
        const record = await audit.log.append(event);
        if (event.type === 'action.decided') hooks.onDecided?.();
        return record;
      },
      appendAll: async (events: Parameters<typeof audit.log.appendAll>[0]) => {
        const records = await audit.log.appendAll(events);
        if (events.some((event) => event.type === 'action.decided')) hooks.onDecided?.();
        return records;
      },
    };
    const engine = new ConsentEngine({ sessionId: 's-1', rules: effective(), audit: sink, now });
    const prompted = nextEvent<ConsentPrompt>(engine, 'prompt');
    const first = engine.request(fileAction('file.read', '/srv/app/a'), { requestId: 'r1' });
    engine.decide(
      (await prompted).id,
      { how: 'allow-session', scope: { kind: 'file.read', pathPrefix: '/srv/app' } },
      { approver: 'alice' },
    );
    await first;
    hooks.onDecided = () => engine.revoke(engine.grants()[0]!.id);
    const err = await rejection(
      engine.request(fileAction('file.read', '/srv/app/b'), { requestId: 'r2' }),
    );
    expect(err.code).toBe('GRANT_REVOKED');
  });
});
