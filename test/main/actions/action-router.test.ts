import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionRouter, type ActionHandler } from '../../../main/actions/action-router';
import { ConsentEngine, type ConsentPrompt } from '../../../main/consent/consent-engine';
import type { Grant } from '../../../main/consent/grant';
import { effective, fileAction, tempAudit } from '../consent/fixtures';
import { MemoryLink } from '../../support/memory-link';

describe('ActionRouter', () => {
  let audit: Awaited<ReturnType<typeof tempAudit>>;
  let link: MemoryLink;
  let engine: ConsentEngine;
  let router: ActionRouter;
  let executed: Array<{ grant: Grant; path: string }>;

  const readHandler = (): ActionHandler<{ path: string }> => ({
    params: z.object({ path: z.string().startsWith('/') }),
    describe: async ({ path }) => fileAction('file.read', path, { size: 5 }),
    execute: async (grant, { path }, context) => {
      executed.push({ grant, path });
      context.progress(5, 5, 'read');
      return { bytes: 5, sha256: 'f'.repeat(64) };
    },
  });

  beforeEach(async () => {
    audit = await tempAudit();
    link = new MemoryLink({ sessionId: 's-router' });
    engine = new ConsentEngine({
      sessionId: link.sessionId,
      rules: effective(),
      audit: audit.log,
      timeoutMs: 5_000,
    });
    router = new ActionRouter({ engine, link, audit: audit.log });
    router.register('file.read', readHandler());
    executed = [];
    engine.on('prompt', (p: ConsentPrompt) => {
      if (p.requestId.startsWith('allow'))
        engine.decide(p.id, { how: 'allow-once' }, { approver: 'alice' });
      if (p.requestId.startsWith('deny'))
        engine.decide(p.id, { how: 'deny' }, { approver: 'alice' });
    });
  });
  afterEach(async () => {
    engine.close('test over');
    await audit.cleanup();
  });

  it('runs an allowed action: pending, allowed, progress, result; audited with digests', async () => {
    await router.handle({
      type: 'action.request',
      requestId: 'allow-1',
      kind: 'file.read',
      params: { path: '/srv/app/a.txt' },
    });
    expect(link.sent.map((m) => m.type)).toEqual([
      'action.pending',
      'action.allowed',
      'action.progress',
      'action.result',
    ]);
    expect(executed).toHaveLength(1);
    const types = (await audit.records()).map((r) => r.type);
    expect(types).toEqual(['action.requested', 'action.decided', 'action.result']);
    const result = (await audit.records())[2]!;
    expect(result.data['resultDigest']).toMatch(/^[0-9a-f]{64}$/);
    expect(result.data['digest']).toBe(link.of('action.allowed')[0]!.digest);
  });

  it('refuses unknown kinds and bad params with codes, without describing or asking', async () => {
    await router.handle({
      type: 'action.request',
      requestId: 'allow-1',
      kind: 'file.write',
      params: { path: '/srv/app/a' },
    });
    await router.handle({
      type: 'action.request',
      requestId: 'allow-2',
      kind: 'file.read',
      params: { path: 'relative' },
    });
    await router.handle({
      type: 'action.request',
      requestId: 'allow-3',
      kind: 'file.read',
      params: {},
    });
    expect(link.of('action.error').map((m) => m.code)).toEqual([
      'ACTION_UNKNOWN_KIND',
      'ACTION_BAD_PARAMS',
      'ACTION_BAD_PARAMS',
    ]);
    expect(link.of('action.pending')).toEqual([]);
    expect(executed).toEqual([]);
    expect((await audit.records()).map((r) => r.data['code'])).toEqual([
      'ACTION_UNKNOWN_KIND',
      'ACTION_BAD_PARAMS',
      'ACTION_BAD_PARAMS',
    ]);
  });

  it('sends the basis of a denial by rule or by the approver, and never executes', async () => {
    await router.handle({
      type: 'action.request',
      requestId: 'allow-rule',
      kind: 'file.read',
      params: { path: '/etc/shadow' },
    });
    await router.handle({
      type: 'action.request',
      requestId: 'deny-1',
      kind: 'file.read',
      params: { path: '/srv/app/a' },
    });
    const denied = link.of('action.denied');
    expect(denied.map((m) => [m.code, m.basis.source])).toEqual([
      ['CONSENT_DENIED_BY_RULE', 'ground-rules'],
      ['CONSENT_DENIED', 'approver'],
    ]);
    expect(denied[0]!.basis.rule).toBe('readableRoots: /etc/shadow');
    expect(executed).toEqual([]);
  });

  it('a handler cannot run without a genuine, live grant: revoked between allow and execute', async () => {
    // The engineer's cancel lands right after the allow went out: the grant is dead before execute.
    link.onSend = (m) => {
      if (m.type === 'action.allowed')
        void router.handle({ type: 'action.cancel', requestId: m.requestId });
    };
    await router.handle({
      type: 'action.request',
      requestId: 'allow-1',
      kind: 'file.read',
      params: { path: '/srv/app/a' },
    });
    expect(executed).toEqual([]);
    expect(link.of('action.error').map((m) => m.code)).toEqual(['GRANT_REVOKED']);
  });

  it('a handler that described another kind is stopped before consent', async () => {
    const r = new ActionRouter({ engine, link, audit: audit.log });
    r.register('file.stat', {
      ...readHandler(),
      describe: async ({ path }) => fileAction('file.read', path),
    } as ActionHandler<{ path: string }>);
    await r.handle({
      type: 'action.request',
      requestId: 'allow-x',
      kind: 'file.stat',
      params: { path: '/srv/app/a' },
    });
    expect(link.of('action.error').map((m) => m.code)).toEqual(['INTERNAL']);
    expect(executed).toEqual([]);
  });

  it('engineer cancel while pending ends the request as denied (cancelled)', async () => {
    const done = router.handle({
      type: 'action.request',
      requestId: 'wait-1',
      kind: 'file.read',
      params: { path: '/srv/app/a' },
    });
    await expect.poll(() => link.of('action.pending').length).toBe(1);
    await router.handle({ type: 'action.cancel', requestId: 'wait-1' });
    await done;
    expect(link.of('action.denied').map((m) => [m.code, m.basis.source])).toEqual([
      ['CONSENT_CANCELLED', 'cancelled'],
    ]);
  });

  it('revocation mid-action aborts the execute signal and tells the engineer', async () => {
    const r = new ActionRouter({ engine, link, audit: audit.log });
    r.register('file.list', {
      params: z.object({ path: z.string() }),
      describe: async ({ path }) => fileAction('file.list', path),
      execute: async (_grant, _p, context) => {
        await new Promise<void>((resolve) => {
          context.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        if (context.signal.aborted) throw context.signal.reason;
        return { entries: 0 };
      },
    });
    engine.removeAllListeners('prompt');
    engine.on('prompt', (p: ConsentPrompt) =>
      engine.decide(
        p.id,
        { how: 'allow-session', scope: { kind: 'file.list', pathPrefix: '/srv/app' } },
        { approver: 'alice' },
      ),
    );
    const running = r.handle({
      type: 'action.request',
      requestId: 'long',
      kind: 'file.list',
      params: { path: '/srv/app' },
    });
    await expect.poll(() => link.of('action.allowed').length).toBe(1);
    await r.handle({ type: 'grant.list-request', requestId: 'gl' });
    const [grant] = link.of('grant.list')[0]!.grants;
    engine.revoke(grant!.id);
    await running;
    // Both routers of this test relay the revocation over the same link.
    expect(new Set(link.of('grant.revoked').map((m) => m.grant.id))).toEqual(new Set([grant!.id]));
    expect(link.of('action.error').map((m) => m.code)).toEqual(['GRANT_REVOKED']);
  });
});

describe('ActionRouter and the end of the session', () => {
  it('closes the consent engine when the link ends: pending requests are denied as session-ended', async () => {
    const audit = await tempAudit();
    const link = new MemoryLink({ sessionId: 's-router' });
    const engine = new ConsentEngine({
      sessionId: link.sessionId,
      rules: effective(),
      audit: audit.log,
    });
    const router = new ActionRouter({ engine, link, audit: audit.log });
    router.register('file.read', {
      params: z.object({ path: z.string() }),
      describe: async ({ path }) => fileAction('file.read', path),
      execute: async () => ({}),
    });
    const done = router.handle({
      type: 'action.request',
      requestId: 'r1',
      kind: 'file.read',
      params: { path: '/srv/app/a' },
    });
    await expect.poll(() => engine.pending().length).toBe(1);
    link.end();
    await done;
    expect(engine.pending()).toEqual([]);
    const decided = (await audit.records()).find((r) => r.type === 'action.decided')!;
    expect(decided.data).toMatchObject({ allowed: false, how: 'CONSENT_SESSION_ENDED' });
    await audit.cleanup();
  });
});
