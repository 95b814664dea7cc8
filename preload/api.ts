// Builds `window.assent` from the IPC contract: one function per invoke
// channel (returning a promise) and one `on<Event>` per event (returning an
// unsubscribe function). Transport-agnostic so the e2e harness builds the
// same shape; the preload passes Electron's ipcRenderer-backed transport and
// never exposes ipcRenderer itself.
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  eventListenerName,
  type AssentApi,
  type EventChannel,
  type InvokeChannel,
  type IpcReply,
} from '../protocol/ipc';

/** How the API reaches main. */
export interface IpcTransport {
  invoke(channel: InvokeChannel, payload: unknown): Promise<IpcReply>;
  on(event: EventChannel, handler: (payload: unknown) => void): () => void;
}

/**
 * The error an API call rejects with. contextBridge copies only an error's
 * message across worlds, so the stable code leads the message (`CODE: text`);
 * `ipcErrorCode` in protocol/ipc.ts reads it back.
 */
export class IpcCallError extends Error {
  override readonly name = 'IpcCallError';
  constructor(
    readonly code: string,
    readonly text: string,
  ) {
    super(`${code}: ${text}`);
  }
}

/** The API object, one function per channel of the contract. */
export function buildAssentApi(transport: IpcTransport): AssentApi {
  const api: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNELS) {
    api[channel] = async (request: unknown) => {
      const reply = await transport.invoke(channel, request ?? {});
      if (reply.ok) return reply.value;
      throw new IpcCallError(reply.error.code, reply.error.message);
    };
  }
  for (const event of EVENT_CHANNELS) {
    api[eventListenerName(event)] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      return transport.on(event, (payload) => listener(payload));
    };
  }
  return Object.freeze(api) as unknown as AssentApi;
}
