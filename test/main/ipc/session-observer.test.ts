// The session observer over a real ConsentEngine, EffectiveRules and
// AuditLog: prompts, outcomes and grants become desktop events, and messages
// to the engineer become timeline entries and progress.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/audit/audit-log';
import type { ActionDescription } from '../../../main/consent/action';
import { ConsentEngine, type ConsentPrompt } from '../../../main/consent/consent-engine';
import type { CoreEvent } from '../../../main/ipc/desktop-core';
import { SessionObserver } from '../../../main/ipc/session-observer';
import { EffectiveRules } from '../../../main/rules/effective-rules';
import type { PeerLink } from '../../../main/session/peer-link';
import { GroundRules } from '../../../protocol/ground-rules';
import type { ActivityEntry } from '../../../protocol/ipc';
import type { ChannelMessage, MessageOf } from '../../../protocol/wire/messages';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function world() {
  const dir = await mkdtemp(join(tmpdir(), 'assent-observer-'));
  const root = join(dir, 'root');
  const audit = await AuditLog.open(join(dir, 'data'), { durable: false });
  cleanups.push(async () => {
    await audit.close();
    await rm(dir, { recursive: true, force: true });
  });
  const rules = new EffectiveRules(
    GroundRules.parse({
      kind: 'assent-ground-rules',
      v: 1,
      title: 'Observer test',
      vendor: 'Acme',
      customer: 'Example Corp',
      revision: 1,
      readableRoots: [root],
      writableRoots: [root],
      deniedGlobs: [],
      maxReadBytes: 1024 ** 3,
      maxWriteBytes: 1024 ** 2,
      terminal: 'off',
      fixSigners: [],
      sessionMaxMinutes: 60,
      standingConsents: [],
      consentTimeoutSeconds: 60,
      recordSessions: false,
    }),
    null,
    { platform: 'posix' },
  );
  const engine = new ConsentEngine({ sessionId: 's1', rules, audit });
  const events: CoreEvent[] = [];
  const activity: Omit<ActivityEntry, 'id'>[] = [];
  const observer = new SessionObserver({
    emit: (e) => events.push(e),
    activity: (a) => activity.push(a),
    now: () => 1000,
  });
  observer.attach(engine);
  const sent: ChannelMessage[] = [];
  const link: PeerLink = {
    sessionId: 's1',
    engineer: {
      name: 'Erin',
      email: 'erin@acme.example',
      vendor: 'Acme',
      roles: ['engineer'],
      publicKey: 'A'.repeat(43),
      fingerprint: 'ffff',
      serial: '0'.repeat(32),
    },
    signal: new AbortController().signal,
    send: (m) => sent.push(m),
    nextStreamId: () => 2,
    streamSender: () => async () => undefined,
    onStream: () => () => undefined,
    holdInbound: () => () => undefined,
  };
  const read = (path: string): ActionDescription => ({
    kind: 'file.read',
    target: path,
    params: { offset: 0 },
    match: { paths: [path] },
    preview: {
      kind: 'file.read',
      path: { canonical: path, visible: path, hasInvisible: false },
    },
  });
  return { root, engine, observer, events, activity, sent, link, read };
}

const nextPrompt = (engine: ConsentEngine) =>
  new Promise<ConsentPrompt>((resolve) => engine.once('prompt', resolve));

describe('SessionObserver', () => {
  it('turns a prompt and its answer into desktop events and timeline entries', async () => {
    const w = await world();
    const path = join(w.root, 'a.log');
    const prompted = nextPrompt(w.engine);
    const granted = w.engine.request(w.read(path), { requestId: 'r1' });
    const prompt = await prompted;
    expect(w.events[0]).toEqual({
      event: 'consentRequested',
      payload: {
        requestId: prompt.id,
        preview: prompt.preview,
        requestedAt: prompt.createdAt,
        expiresAt: prompt.decideBy,
      },
    });
    w.engine.decide(prompt.id, { how: 'allow-once' }, { approver: 'approver' });
    await granted;
    expect(w.events).toContainEqual({
      event: 'consentResolved',
      payload: { requestId: prompt.id, outcome: 'allowed' },
    });
    expect(w.activity.map((a) => [a.event, a.actor, a.kind, a.subject])).toEqual([
      ['action.requested', 'engineer', 'file.read', path],
      ['action.allowed', 'approver', 'file.read', path],
    ]);
  });

  it('reports a denial and a session grant, and its revocation', async () => {
    const w = await world();
    const prompted = nextPrompt(w.engine);
    const denied = w.engine.request(w.read(join(w.root, 'x')), { requestId: 'r1' });
    w.engine.decide((await prompted).id, { how: 'deny' }, { approver: 'approver' });
    await expect(denied).rejects.toMatchObject({ code: 'CONSENT_DENIED' });
    expect(w.activity.at(-1)).toMatchObject({ event: 'action.denied', actor: 'approver' });

    const again = nextPrompt(w.engine);
    const allowed = w.engine.request(w.read(join(w.root, 'y')), { requestId: 'r2' });
    w.engine.decide(
      (await again).id,
      { how: 'allow-session', scope: { kind: 'file.read', pathPrefix: w.root } },
      { approver: 'approver' },
    );
    await allowed;
    const grants = w.events.filter((e) => e.event === 'grantsChanged');
    expect(grants.at(-1)?.payload).toHaveLength(1);
    const grantId = w.engine.grants()[0]!.id;
    w.engine.revoke(grantId);
    expect(w.activity.at(-1)).toMatchObject({ event: 'grant.revoked', subject: w.root });
    expect(w.events.filter((e) => e.event === 'grantsChanged').at(-1)?.payload).toEqual([]);
  });

  it('taps the link: progress and results become progress bars and timeline entries', async () => {
    const w = await world();
    const path = join(w.root, 'big.bin');
    const prompted = nextPrompt(w.engine);
    void w.engine.request(w.read(path), { requestId: 'r9' });
    w.engine.decide((await prompted).id, { how: 'allow-once' }, { approver: 'approver' });
    const link = w.observer.tapLink(w.link);
    link.send({ type: 'action.progress', requestId: 'r9', done: 10, total: 100 });
    link.send({ type: 'action.result', requestId: 'r9', result: {} });
    expect(w.sent.map((m) => m.type)).toEqual(['action.progress', 'action.result']);
    const progress = w.events.filter((e) => e.event === 'progressChanged').map((e) => e.payload);
    expect(progress).toEqual([
      { id: 'r9', kind: 'transfer', label: path, state: 'running', done: 10, total: 100 },
      { id: 'r9', kind: 'transfer', label: path, state: 'done', done: 100, total: 100 },
    ]);
    expect(w.activity.at(-1)).toMatchObject({ event: 'action.completed', subject: path });
    expect(w.observer.tracked).toBe(0);
  });

  it('keeps nothing of an action once its last message went out', async () => {
    const w = await world();
    const link = w.observer.tapLink(w.link);
    const ends: Array<MessageOf<'action.result' | 'action.error' | 'action.denied'>> = [
      { type: 'action.result', requestId: 'r1', result: {} },
      { type: 'action.error', requestId: 'r2', code: 'FILE_NOT_FOUND', message: 'gone' },
      {
        type: 'action.denied',
        requestId: 'r3',
        code: 'CONSENT_DENIED',
        message: 'no',
        basis: { source: 'approver' },
      },
    ];
    for (const end of ends) {
      const prompted = nextPrompt(w.engine);
      const granted = w.engine.request(w.read(join(w.root, end.requestId)), {
        requestId: end.requestId,
      });
      w.engine.decide((await prompted).id, { how: 'allow-once' }, { approver: 'approver' });
      await granted;
      link.send({ type: 'action.progress', requestId: end.requestId, done: 1, total: 2 });
      expect(w.observer.tracked).toBe(1);
      link.send(end);
      expect(w.observer.tracked).toBe(0);
    }
    // The entries were made with what was known until the end.
    expect(w.activity.filter((a) => a.event === 'action.failed')).toEqual([
      expect.objectContaining({ kind: 'file.read', subject: join(w.root, 'r2') }),
    ]);
  });
});
