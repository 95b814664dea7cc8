// One-time session codes (issue 2): 10 random decimal digits (about 33 bits)
// from crypto.randomInt, unique among live codes, single use, expiring, and
// burned after repeated near misses. A wrong guess counts against every live
// code that shares its first digits, so guessing around one code burns it
// long before the guesser gets anywhere near 2^33 tries.
import { randomInt } from 'node:crypto';

/** Timing and attempt policy (defaults from protocol/limits.ts). */
export interface SessionCodeLimits {
  digits: number;
  prefixDigits: number;
  ttlMs: number;
  maxFailedAttempts: number;
}

interface LiveCode<Owner> {
  owner: Owner;
  expiresAt: number;
  failures: number;
  timer: NodeJS.Timeout;
}

/** What the book tells its owner about a code that ended without use. */
export interface CodeEvents<Owner> {
  expired(owner: Owner, code: string): void;
  burned(owner: Owner, code: string): void;
}

/** The live codes of a relay, each held by one waiting agent (`Owner`). */
export class SessionCodeBook<Owner> {
  readonly #limits: SessionCodeLimits;
  readonly #events: CodeEvents<Owner>;
  readonly #now: () => number;
  readonly #codes = new Map<string, LiveCode<Owner>>();
  /** prefix -> live codes with that prefix, for per-code attempt counting. */
  readonly #byPrefix = new Map<string, Set<string>>();

  constructor(limits: SessionCodeLimits, events: CodeEvents<Owner>, now: () => number) {
    if (10 ** limits.digits > 2 ** 48) throw new RangeError('codes longer than randomInt allows');
    this.#limits = limits;
    this.#events = events;
    this.#now = now;
  }

  /** Issues a fresh code for `owner`. */
  issue(owner: Owner): { code: string; expiresAt: number } {
    let code: string;
    do {
      code = String(randomInt(0, 10 ** this.#limits.digits)).padStart(this.#limits.digits, '0');
    } while (this.#codes.has(code));
    const expiresAt = this.#now() + this.#limits.ttlMs;
    const timer = setTimeout(() => {
      if (this.#codes.get(code)?.owner !== owner) return;
      this.withdraw(code);
      this.#events.expired(owner, code);
    }, this.#limits.ttlMs);
    timer.unref();
    this.#codes.set(code, { owner, expiresAt, failures: 0, timer });
    const prefix = this.#prefix(code);
    const group = this.#byPrefix.get(prefix) ?? new Set<string>();
    group.add(code);
    this.#byPrefix.set(prefix, group);
    return { code, expiresAt };
  }

  /**
   * Takes a code for a joining engineer: returns its owner and deletes it
   * (single use), or counts a failed attempt against near codes and returns
   * undefined. Expired codes answer like unknown ones.
   */
  take(code: string): Owner | undefined {
    const live = this.#codes.get(code);
    if (live && live.expiresAt > this.#now()) {
      this.withdraw(code);
      return live.owner;
    }
    if (live) {
      this.withdraw(code);
      this.#events.expired(live.owner, code);
    }
    this.#countMiss(code);
    return undefined;
  }

  /** Removes a code (the agent asked for a new one, or left). */
  withdraw(code: string): void {
    const live = this.#codes.get(code);
    if (!live) return;
    clearTimeout(live.timer);
    this.#codes.delete(code);
    const prefix = this.#prefix(code);
    const group = this.#byPrefix.get(prefix);
    group?.delete(code);
    if (group?.size === 0) this.#byPrefix.delete(prefix);
  }

  /** Number of live codes. */
  get size(): number {
    return this.#codes.size;
  }

  /** Drops every code (relay shutdown). */
  clear(): void {
    for (const code of [...this.#codes.keys()]) this.withdraw(code);
  }

  #prefix(code: string): string {
    return code.slice(0, this.#limits.prefixDigits);
  }

  #countMiss(guess: string): void {
    const near = this.#byPrefix.get(this.#prefix(guess));
    if (!near) return;
    for (const code of [...near]) {
      const live = this.#codes.get(code);
      if (!live) continue;
      live.failures += 1;
      if (live.failures >= this.#limits.maxFailedAttempts) {
        this.withdraw(code);
        this.#events.burned(live.owner, code);
      }
    }
  }
}
