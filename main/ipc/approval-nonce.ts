// Single-use approval nonces bound to an action's digest (issue 6: "a
// compromised renderer cannot approve an action it was not shown"). The main
// process issues a nonce when it shows a prompt to the renderer; a decision is
// accepted only with that nonce and only for the same digest, once.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A nonce is good for this long after issue (longer than any consent timeout). */
export const APPROVAL_NONCE_TTL_MS = 60 * 60 * 1000;
/** Outstanding nonces kept at most; the oldest are dropped first (they can then no longer approve). */
export const MAX_OUTSTANDING_NONCES = 10_000;

export interface ApprovalNonceOptions {
  readonly ttlMs?: number;
  readonly now?: () => number;
  readonly maxOutstanding?: number;
}

/** Issues and consumes approval nonces. */
export interface ApprovalNonces {
  /** A fresh nonce bound to `digest`. */
  issueNonce(digest: string): string;
  /** True, once, when `nonce` was issued for `digest` and has not expired; false otherwise. */
  consumeNonce(nonce: string, digest: string): boolean;
  /** Forgets every nonce bound to `digest` (the prompt was answered or withdrawn elsewhere). */
  forgetDigest(digest: string): void;
  /** Number of outstanding nonces. */
  readonly size: number;
}

interface Entry {
  readonly digest: string;
  readonly expiresAt: number;
}

/** Creates a nonce book. */
export function createApprovalNonces(options: ApprovalNonceOptions = {}): ApprovalNonces {
  const {
    ttlMs = APPROVAL_NONCE_TTL_MS,
    now = Date.now,
    maxOutstanding = MAX_OUTSTANDING_NONCES,
  } = options;
  const entries = new Map<string, Entry>();

  const sweep = (at: number): void => {
    for (const [nonce, entry] of entries) if (entry.expiresAt <= at) entries.delete(nonce);
    while (entries.size >= maxOutstanding) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  };

  return {
    issueNonce(digest) {
      if (typeof digest !== 'string' || digest.length === 0) {
        throw new TypeError('digest must be a non-empty string');
      }
      const at = now();
      sweep(at);
      const nonce = randomBytes(32).toString('base64url');
      entries.set(nonce, { digest, expiresAt: at + ttlMs });
      return nonce;
    },
    consumeNonce(nonce, digest) {
      if (typeof nonce !== 'string' || typeof digest !== 'string') return false;
      const entry = entries.get(nonce);
      if (entry === undefined) return false;
      // Single use: a presented nonce is spent even when it does not match.
      entries.delete(nonce);
      if (entry.expiresAt <= now()) return false;
      const a = Buffer.from(entry.digest);
      const b = Buffer.from(digest);
      return a.length === b.length && timingSafeEqual(a, b);
    },
    forgetDigest(digest) {
      for (const [nonce, entry] of entries) if (entry.digest === digest) entries.delete(nonce);
    },
    get size() {
      return entries.size;
    },
  };
}
