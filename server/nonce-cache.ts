// Replay protection for upgrade proofs: a nonce is accepted once while its
// proof could still pass the clock-skew check. Proofs outside the window are
// refused by time anyway, so entries older than that are dropped.

/** Remembers accepted nonces for the skew window. */
export class NonceCache {
  readonly #windowMs: number;
  /** nonce -> proof time; Map keeps insertion order, which is close to time order. */
  readonly #seen = new Map<string, number>();

  constructor(skewMs: number) {
    this.#windowMs = 2 * skewMs;
  }

  /** True the first time a nonce is presented within the window; false for a replay. */
  accept(nonce: string, proofTime: number, now: number): boolean {
    this.#prune(now);
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, proofTime);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #prune(now: number): void {
    for (const [nonce, time] of this.#seen) {
      // Insertion order is roughly time order; stop at the first entry still in the window.
      if (now - time <= this.#windowMs) break;
      this.#seen.delete(nonce);
    }
  }
}
