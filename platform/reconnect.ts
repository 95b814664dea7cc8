// Reconnecting after a network drop: exponential backoff with jitter, until
// a deadline (the resume grace period) or the session ends.
import { isAssentError } from '../protocol/errors';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from '../protocol/limits';

/** Errors after which trying again cannot help. */
const FINAL_CODES = new Set([
  'RELAY_RESUME_UNKNOWN',
  'RELAY_UNAUTHENTICATED',
  'RELAY_CREDENTIAL_REVOKED',
  'RELAY_CREDENTIAL_EXPIRED',
  'RELAY_WRONG_VENDOR',
]);

/** Calls `connect` until it succeeds, the deadline passes, the signal aborts, or a final error; undefined when it gave up. */
export async function reconnectWithBackoff<T>(
  connect: () => Promise<T>,
  options: {
    deadline: number;
    signal: AbortSignal;
    now?: () => number;
    baseMs?: number;
    maxMs?: number;
  },
): Promise<T | undefined> {
  const now = options.now ?? Date.now;
  let delay = options.baseMs ?? RECONNECT_BASE_MS;
  const max = options.maxMs ?? RECONNECT_MAX_MS;
  while (!options.signal.aborted && now() < options.deadline) {
    try {
      return await connect();
    } catch (error) {
      if (isAssentError(error) && FINAL_CODES.has(error.code)) return undefined;
    }
    const wait =
      Math.min(delay, Math.max(0, options.deadline - now())) * (0.75 + Math.random() * 0.5);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      options.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    delay = Math.min(delay * 2, max);
  }
  return undefined;
}
