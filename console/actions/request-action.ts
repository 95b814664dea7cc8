// The engineer's side of one action (generic, every domain uses it): sends
// `action.request`, reports the agent's `pending`/`allowed`/`progress`
// messages, and resolves with the `action.result` or rejects with an
// AssentError carrying the agent's code (`action.denied` adds the basis).
import type { ActionKind, ActionPreview, DecisionBasis } from '../../protocol/consent';
import { AssentError, isErrorCode } from '../../protocol/errors';
import type { EngineerLink } from '../engineer-link';

export interface RequestActionOptions {
  /** Use this request id (the caller needs it before the request goes out); default: a fresh one. */
  readonly requestId?: string;
  /** The approver is looking at this. */
  readonly onPending?: (preview: ActionPreview, decideBy: number) => void;
  readonly onAllowed?: (basis: DecisionBasis) => void;
  readonly onProgress?: (done: number, total?: number, stage?: string) => void;
  /** Aborting sends `action.cancel` (the agent stops the action or withdraws the prompt). */
  readonly signal?: AbortSignal;
}

function toError(code: string, message: string, details?: Record<string, unknown>): AssentError {
  return new AssentError(isErrorCode(code) ? code : 'INTERNAL', message, {
    details: { ...details, agentCode: code },
  });
}

/** Requests an action and waits for its end. */
export function requestAction(
  link: EngineerLink,
  kind: ActionKind,
  params: Record<string, unknown>,
  options: RequestActionOptions = {},
): Promise<Record<string, unknown>> {
  const requestId = options.requestId ?? link.nextRequestId();
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = [];
    const done = (): void => {
      for (const off of offs) off();
      options.signal?.removeEventListener('abort', onAbort);
      link.signal.removeEventListener('abort', onEnd);
    };
    const onAbort = (): void => link.send({ type: 'action.cancel', requestId });
    const onEnd = (): void => {
      done();
      reject(new AssentError('SESSION_ENDED'));
    };
    offs.push(
      link.on('action.pending', (m) => {
        if (m.requestId === requestId) options.onPending?.(m.preview, m.decideBy);
      }),
      link.on('action.allowed', (m) => {
        if (m.requestId === requestId) options.onAllowed?.(m.basis);
      }),
      link.on('action.progress', (m) => {
        if (m.requestId === requestId) options.onProgress?.(m.done, m.total, m.stage);
      }),
      link.on('action.result', (m) => {
        if (m.requestId !== requestId) return;
        done();
        resolve(m.result);
      }),
      link.on('action.denied', (m) => {
        if (m.requestId !== requestId) return;
        done();
        reject(toError(m.code, m.message, { basis: m.basis }));
      }),
      link.on('action.error', (m) => {
        if (m.requestId !== requestId) return;
        done();
        reject(toError(m.code, m.message));
      }),
    );
    if (link.signal.aborted) return onEnd();
    link.signal.addEventListener('abort', onEnd, { once: true });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    link.send({ type: 'action.request', requestId, kind, params });
  });
}
