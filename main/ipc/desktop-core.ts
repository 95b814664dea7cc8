// What the desktop shell needs from the agent core: one method per invoke
// channel of the IPC contract, plus a stream of events. The adapter over the
// real AgentSession, ConsentEngine and AuditLog implements it; the IPC handler
// table (handler-table.ts) is the only caller. Nonces never reach the core:
// the table issues them on the way out and checks them on the way in.
import type { z } from 'zod';
import type {
  ConsentDecideRequest,
  ConsentRequestView,
  EventChannel,
  EventPayload,
  IPC_INVOKE,
  InvokeChannel,
  InvokeResponse,
} from '../../protocol/ipc';

/** A pending consent prompt as the core knows it (the table adds the nonce). */
export type PendingConsent = Omit<ConsentRequestView, 'nonce'>;

/** The request a core method receives (validated; for decisions, the nonce already checked and removed). */
export type CoreRequest<C extends InvokeChannel> = C extends 'consentDecide'
  ? Omit<ConsentDecideRequest, 'nonce'>
  : z.output<(typeof IPC_INVOKE)[C]['request']>;

/** What a core method returns (for the pending list, without nonces). */
export type CoreResponse<C extends InvokeChannel> = C extends 'consentPending'
  ? PendingConsent[]
  : InvokeResponse<C>;

/** An event from the core, before the table adds nonces. */
export type CoreEvent = {
  [E in EventChannel]: {
    readonly event: E;
    readonly payload: E extends 'consentRequested' ? PendingConsent : EventPayload<E>;
  };
}[EventChannel];

/** The agent core as the desktop shell drives it. */
export type DesktopCore = {
  readonly [C in InvokeChannel]: (request: CoreRequest<C>) => Promise<CoreResponse<C>>;
} & {
  /** Calls `listener` for every core event; returns a function that stops listening. */
  subscribe(listener: (event: CoreEvent) => void): () => void;
};
