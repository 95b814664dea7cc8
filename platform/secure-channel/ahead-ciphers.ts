// The AES-GCM contexts of one direction of a SecureChannel, the next one made
// ahead of its frame. Creating a context (createCipheriv/createDecipheriv:
// OpenSSL's cipher fetch, key schedule, Node's wrapper object) is most of
// what sealing or opening a small frame costs, and a process woken for one
// keystroke runs it cold: 87 µs p50 for the creation alone, against 5 µs in a
// warm loop (one frame every 10 ms, this machine). Made right after the
// previous frame, when that code is still warm and nothing waits, it leaves
// the keystroke's path: a 100-byte seal or open with a context made ahead
// took 64-70 µs p50 instead of 124. The nonce of a frame is its counter, and
// frames go and come in exact sequence, so the next frame's context is known.
import type { CipherGCM, DecipherGCM } from 'node:crypto';

/** The AES-GCM nonce of frame `counter`: four zero bytes, then the counter (u64, big-endian). */
export function frameNonce(counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
  return nonce;
}

/** Cipher (or decipher) contexts for consecutive frame counters, one kept ready. */
export class AheadCiphers<T extends CipherGCM | DecipherGCM> {
  #ahead: T | undefined;
  #aheadCounter = -1;
  #scheduled = false;

  /**
   * `create` makes a context for a nonce; `next` says which counter the next
   * frame will have, or null when no frame may come (the direction ended).
   */
  constructor(
    private readonly create: (nonce: Buffer) => T,
    private readonly next: () => number | null,
  ) {}

  /** The context for frame `counter`: the one made ahead when it is for this counter, else a new one. Used once. */
  take(counter: number): T {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead !== undefined && this.#aheadCounter === counter) return ahead;
    return this.create(frameNonce(counter));
  }

  /** Makes the next frame's context after this turn of the event loop (I/O callbacks and their promises run first). */
  prepareSoon(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const counter = this.next();
      if (counter === null || (this.#ahead !== undefined && this.#aheadCounter === counter)) return;
      this.#ahead = this.create(frameNonce(counter));
      this.#aheadCounter = counter;
    }).unref();
  }

  /** Drops the context made ahead (the channel ended). */
  clear(): void {
    this.#ahead = undefined;
  }
}
