// The IPC handler table: what Electron's ipcMain.handle registers, and what
// the e2e harness exposes to the page. Each call is checked in this order:
// sender (main frame of the app window), channel (in the contract), request
// (its schema), and for approvals the single-use nonce bound to the digest of
// the prompt that was shown. Replies are envelopes so that the error code
// survives the trip (Electron reduces a thrown error to its message).
import { AssentError, isAssentError } from '../../protocol/errors/index';
import type { ErrorCode } from '../../protocol/errors/index';
import {
  IPC_EVENTS,
  IPC_INVOKE,
  type ConsentRequestView,
  type EventChannel,
  type InvokeChannel,
  type IpcReply,
} from '../../protocol/ipc';
import { createApprovalNonces, type ApprovalNonces } from './approval-nonce';
import type { CoreEvent, DesktopCore, PendingConsent } from './desktop-core';
import { assertTrustedSender, type IpcSenderInfo, type TrustedWindow } from './sender-check';

/** Emits one validated event to the renderer. */
export type IpcEmit = (event: EventChannel, payload: unknown) => void;

export interface IpcHandlerTable {
  /** Handles one invoke from `sender`. Never throws: faults come back as `{ ok: false }`. */
  invoke(sender: IpcSenderInfo, channel: string, payload: unknown): Promise<IpcReply>;
  /** Sets the one window whose main frame may call (null: nobody). */
  setTrustedWindow(window: TrustedWindow | null): void;
  /** Forwards core events, validated and with nonces added, to `emit`; returns a stop function. */
  forwardEvents(emit: IpcEmit): () => void;
}

export interface IpcHandlerTableOptions {
  readonly trustedWindow?: TrustedWindow | null;
  readonly nonces?: ApprovalNonces;
  /** Called with faults that are not the peer's or the user's (bad responses, internal errors). */
  readonly onInternalError?: (err: unknown, channel: string) => void;
}

const isInvokeChannel = (channel: string): channel is InvokeChannel =>
  Object.prototype.hasOwnProperty.call(IPC_INVOKE, channel);

/** Builds the handler table over `core`. */
export function createIpcHandlerTable(
  core: DesktopCore,
  options: IpcHandlerTableOptions = {},
): IpcHandlerTable {
  let trusted = options.trustedWindow ?? null;
  const nonces = options.nonces ?? createApprovalNonces();
  // requestId -> the nonce shown for it (one outstanding nonce per prompt).
  const shown = new Map<string, { nonce: string; digest: string }>();

  const withNonce = (pending: PendingConsent): ConsentRequestView => {
    const digest = pending.preview.digest;
    let entry = shown.get(pending.requestId);
    if (entry === undefined || entry.digest !== digest) {
      entry = { nonce: nonces.issueNonce(digest), digest };
      shown.set(pending.requestId, entry);
    }
    return { ...pending, nonce: entry.nonce };
  };

  const call = async (channel: InvokeChannel, request: unknown): Promise<unknown> => {
    switch (channel) {
      case 'consentPending': {
        const pending = await core.consentPending({});
        const live = new Set(pending.map((p) => p.requestId));
        for (const id of shown.keys()) if (!live.has(id)) shown.delete(id);
        return pending.map(withNonce);
      }
      case 'consentDecide': {
        const { requestId, nonce, decision } = IPC_INVOKE.consentDecide.request.parse(request);
        // The digest comes from the core's own pending list, never from the renderer.
        const pending = (await core.consentPending({})).find((p) => p.requestId === requestId);
        const issued = shown.get(requestId);
        const digest = pending?.preview.digest;
        if (digest === undefined || issued === undefined || !nonces.consumeNonce(nonce, digest)) {
          throw new AssentError('APPROVAL_NONCE_INVALID');
        }
        shown.delete(requestId);
        return core.consentDecide({ requestId, decision });
      }
      default:
        return (core[channel] as (r: unknown) => Promise<unknown>)(request);
    }
  };

  const fail = (code: ErrorCode | string, message: string): IpcReply => ({
    ok: false,
    error: { code, message },
  });

  return {
    async invoke(sender, channel, payload) {
      try {
        assertTrustedSender(sender, trusted);
        if (typeof channel !== 'string' || !isInvokeChannel(channel)) {
          throw new AssentError('IPC_UNKNOWN_CHANNEL');
        }
        const parsed = IPC_INVOKE[channel].request.safeParse(payload ?? {});
        if (!parsed.success) {
          throw new AssentError('IPC_BAD_REQUEST', undefined, { cause: parsed.error });
        }
        const value = await call(channel, parsed.data);
        const checked = IPC_INVOKE[channel].response.safeParse(value);
        if (!checked.success) {
          throw new AssentError('IPC_BAD_RESPONSE', undefined, { cause: checked.error });
        }
        return { ok: true, value: checked.data };
      } catch (err: unknown) {
        if (isAssentError(err)) {
          if (err.code === 'IPC_BAD_RESPONSE') options.onInternalError?.(err, channel);
          return fail(err.code, err.message);
        }
        options.onInternalError?.(err, channel);
        return fail('INTERNAL', new AssentError('INTERNAL').message);
      }
    },
    setTrustedWindow(window) {
      trusted = window;
    },
    forwardEvents(emit) {
      return core.subscribe((event: CoreEvent) => {
        const payload =
          event.event === 'consentRequested' ? withNonce(event.payload) : event.payload;
        if (event.event === 'consentResolved') {
          const entry = shown.get(event.payload.requestId);
          if (entry !== undefined) nonces.forgetDigest(entry.digest);
          shown.delete(event.payload.requestId);
        }
        const checked = IPC_EVENTS[event.event].safeParse(payload);
        if (!checked.success) {
          options.onInternalError?.(
            new AssentError('IPC_BAD_RESPONSE', undefined, { cause: checked.error }),
            event.event,
          );
          return;
        }
        emit(event.event, checked.data);
      });
    },
  };
}
