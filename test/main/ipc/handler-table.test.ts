// The handler table's own decisions: sender, channel, schema, nonce. The core
// here is a small in-test implementation of the DesktopCore port (the e2e
// tests run the table over the real agent core).
import { describe, expect, it } from 'vitest';
import type { CoreEvent, DesktopCore, PendingConsent } from '../../../main/ipc/desktop-core';
import { createIpcHandlerTable } from '../../../main/ipc/handler-table';
import type { ConsentRequestView, EventChannel } from '../../../protocol/ipc';

const trusted = { webContentsId: 1, origin: 'app://renderer' };
const main = { webContentsId: 1, frameUrl: 'app://renderer/index.html', isMainFrame: true };

const pendingRead: PendingConsent = {
  requestId: 'r1',
  preview: {
    kind: 'file.read',
    digest: 'd'.repeat(64),
    path: { canonical: '/srv/app/log.txt', visible: '/srv/app/log.txt', hasInvisible: false },
  },
  requestedAt: 1,
  expiresAt: 2,
};

function recordingCore() {
  const decided: unknown[] = [];
  let pending = [pendingRead];
  let listener: ((e: CoreEvent) => void) | null = null;
  const idle = async () => ({ phase: 'idle' as const });
  const core: DesktopCore = {
    sessionStart: async () => ({ phase: 'connecting' }),
    sessionAccept: idle,
    sessionRefuse: idle,
    sessionEnd: idle,
    sessionState: idle,
    consentPending: async () => pending,
    consentDecide: async (request) => {
      decided.push(request);
      pending = pending.filter((p) => p.requestId !== request.requestId);
      return { ok: true };
    },
    grantsList: async () => [],
    grantRevoke: async () => ({ ok: true }),
    chatSend: async ({ text }) => ({ id: 'c1', from: 'approver', text, sentAt: 5 }),
    chatHistory: async () => [],
    activityList: async () => [],
    auditSessions: async () => [],
    auditVerify: async () => ({ ok: true, records: 0 }),
    auditExportMonth: async () => ({ fileName: 'x.csv', csv: '' }),
    rulesCurrent: async () => null,
    // A broken response on purpose: the table must not pass it on.
    localeGet: async () => ({ locale: 'xx', osLocale: 'xx' }) as never,
    subscribe(l) {
      listener = l;
      return () => {
        listener = null;
      };
    },
  };
  return { core, decided, emit: (e: CoreEvent) => listener?.(e) };
}

describe('IPC handler table', () => {
  it('answers trusted calls with validated values', async () => {
    const { core } = recordingCore();
    const table = createIpcHandlerTable(core, { trustedWindow: trusted });
    await expect(table.invoke(main, 'sessionStart', { ticket: 'T-1' })).resolves.toEqual({
      ok: true,
      value: { phase: 'connecting' },
    });
    await expect(table.invoke(main, 'chatSend', { text: 'hi' })).resolves.toMatchObject({
      ok: true,
      value: { text: 'hi', from: 'approver' },
    });
  });

  it('drops untrusted senders before anything else', async () => {
    const { core } = recordingCore();
    const table = createIpcHandlerTable(core, { trustedWindow: trusted });
    const sub = { ...main, isMainFrame: false };
    await expect(table.invoke(sub, 'sessionEnd', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'IPC_UNTRUSTED_SENDER' },
    });
    table.setTrustedWindow(null);
    await expect(table.invoke(main, 'sessionEnd', {})).resolves.toMatchObject({
      error: { code: 'IPC_UNTRUSTED_SENDER' },
    });
  });

  it('refuses unknown channels, bad requests and bad responses by code', async () => {
    const errors: unknown[] = [];
    const { core } = recordingCore();
    const table = createIpcHandlerTable(core, {
      trustedWindow: trusted,
      onInternalError: (e) => errors.push(e),
    });
    for (const channel of ['constructor', '__proto__', 'toString', 'exec']) {
      await expect(table.invoke(main, channel, {})).resolves.toMatchObject({
        error: { code: 'IPC_UNKNOWN_CHANNEL' },
      });
    }
    await expect(table.invoke(main, 'sessionStart', { ticket: 7 })).resolves.toMatchObject({
      error: { code: 'IPC_BAD_REQUEST' },
    });
    await expect(table.invoke(main, 'sessionEnd', { extra: true })).resolves.toMatchObject({
      error: { code: 'IPC_BAD_REQUEST' },
    });
    await expect(table.invoke(main, 'localeGet', {})).resolves.toMatchObject({
      error: { code: 'IPC_BAD_RESPONSE' },
    });
    expect(errors).toHaveLength(1);
  });

  it('approves only with the nonce issued for the prompt shown, once', async () => {
    const { core, decided } = recordingCore();
    const table = createIpcHandlerTable(core, { trustedWindow: trusted });
    const decide = (nonce: string) =>
      table.invoke(main, 'consentDecide', {
        requestId: 'r1',
        nonce,
        decision: { how: 'allow-once' },
      });
    // Never shown: no nonce can be right.
    await expect(decide('guess')).resolves.toMatchObject({
      error: { code: 'APPROVAL_NONCE_INVALID' },
    });
    const shown = (await table.invoke(main, 'consentPending', {})) as {
      ok: true;
      value: ConsentRequestView[];
    };
    const nonce = shown.value[0]!.nonce;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(decide('x'.repeat(43))).resolves.toMatchObject({
      error: { code: 'APPROVAL_NONCE_INVALID' },
    });
    expect(decided).toHaveLength(0);
    // An unknown nonce spends nothing; the prompt shown again carries the same nonce.
    const again = (await table.invoke(main, 'consentPending', {})) as {
      value: ConsentRequestView[];
    };
    await expect(decide(again.value[0]!.nonce)).resolves.toEqual({ ok: true, value: { ok: true } });
    expect(decided).toEqual([{ requestId: 'r1', decision: { how: 'allow-once' } }]);
    await expect(decide(again.value[0]!.nonce)).resolves.toMatchObject({
      error: { code: 'APPROVAL_NONCE_INVALID' },
    });
  });

  it('forwards events validated, with a nonce on consent requests', () => {
    const { core, emit } = recordingCore();
    const table = createIpcHandlerTable(core, { trustedWindow: trusted });
    const seen: [EventChannel, unknown][] = [];
    const stop = table.forwardEvents((event, payload) => seen.push([event, payload]));
    emit({ event: 'consentRequested', payload: pendingRead });
    emit({ event: 'sessionChanged', payload: { phase: 'bogus' } as never });
    emit({ event: 'chatReceived', payload: { id: 'c', from: 'engineer', text: 'hi', sentAt: 1 } });
    stop();
    emit({ event: 'chatReceived', payload: { id: 'c', from: 'engineer', text: 'x', sentAt: 1 } });
    expect(seen.map(([e]) => e)).toEqual(['consentRequested', 'chatReceived']);
    expect((seen[0]![1] as ConsentRequestView).nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
