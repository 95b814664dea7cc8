// The preload's API is built from the contract: one function per invoke
// channel and one `on<Event>` per event, and nothing else.
import { describe, expect, it } from 'vitest';
import { buildAssentApi, IpcCallError } from '../../preload/api';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  eventListenerName,
  ipcErrorParts,
  type EventChannel,
  type IpcReply,
} from '../../protocol/ipc';

describe('buildAssentApi', () => {
  it('has exactly one function per channel of the contract', () => {
    const api = buildAssentApi({
      invoke: async () => ({ ok: true, value: null }),
      on: () => () => undefined,
    });
    const expected = [...INVOKE_CHANNELS, ...EVENT_CHANNELS.map(eventListenerName)].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const key of expected)
      expect(typeof (api as Record<string, unknown>)[key]).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('resolves with the value and rejects with the code leading the message', async () => {
    const calls: [string, unknown][] = [];
    let reply: IpcReply = { ok: true, value: { phase: 'idle' } };
    const api = buildAssentApi({
      invoke: async (channel, payload) => {
        calls.push([channel, payload]);
        return reply;
      },
      on: () => () => undefined,
    });
    await expect(api.sessionState({})).resolves.toEqual({ phase: 'idle' });
    reply = { ok: false, error: { code: 'APPROVAL_NONCE_INVALID', message: 'Not issued.' } };
    const err = await api
      .consentDecide({ requestId: 'r', nonce: 'n', decision: { how: 'deny' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcCallError);
    expect(ipcErrorParts(err)).toEqual({ code: 'APPROVAL_NONCE_INVALID', text: 'Not issued.' });
    // As contextBridge delivers it: a plain Error with the message only.
    expect(ipcErrorParts(new Error((err as Error).message))?.code).toBe('APPROVAL_NONCE_INVALID');
    expect(calls[0]).toEqual(['sessionState', {}]);
  });

  it('subscribes listeners per event and unsubscribes them', () => {
    const handlers = new Map<EventChannel, (payload: unknown) => void>();
    const api = buildAssentApi({
      invoke: async () => ({ ok: true, value: null }),
      on(event, handler) {
        handlers.set(event, handler);
        return () => handlers.delete(event);
      },
    });
    const seen: unknown[] = [];
    const stop = api.onChatReceived((m) => seen.push(m));
    handlers.get('chatReceived')?.({ id: '1' });
    stop();
    expect(seen).toEqual([{ id: '1' }]);
    expect(handlers.has('chatReceived')).toBe(false);
    expect(() => api.onChatReceived(null as unknown as () => void)).toThrow(TypeError);
  });
});
