// Failure counting per source address with exponential backoff (issue 2:
// "attempts limited per source ... with backoff"). Only failures count; a
// source that keeps failing waits longer each time, up to a ceiling, and is
// forgotten after a quiet window so the table cannot grow without bound.

/** Backoff policy of one limiter (defaults in protocol/limits.ts). */
export interface SourceLimits {
  freeAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  windowMs: number;
}

interface SourceRecord {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

/** Per-source failure counters. */
export class SourceLimiter {
  readonly #limits: SourceLimits;
  readonly #sources = new Map<string, SourceRecord>();
  #lastSweep = 0;

  constructor(limits: SourceLimits) {
    this.#limits = limits;
  }

  /** Milliseconds the source must still wait, or 0 when it may try. */
  retryAfter(source: string, now: number): number {
    const record = this.#live(source, now);
    return record ? Math.max(0, record.blockedUntil - now) : 0;
  }

  /** Counts one failure; returns the wait it now imposes (0 while attempts are free). */
  fail(source: string, now: number): number {
    this.#sweep(now);
    const record = this.#live(source, now) ?? { failures: 0, lastFailure: now, blockedUntil: 0 };
    record.failures += 1;
    record.lastFailure = now;
    const over = record.failures - this.#limits.freeAttempts;
    if (over >= 0) {
      const wait = Math.min(
        this.#limits.backoffMaxMs,
        this.#limits.backoffBaseMs * 2 ** Math.min(over, 30),
      );
      record.blockedUntil = now + wait;
    }
    this.#sources.set(source, record);
    return Math.max(0, record.blockedUntil - now);
  }

  /** Number of sources remembered (for stats). */
  get size(): number {
    return this.#sources.size;
  }

  #live(source: string, now: number): SourceRecord | undefined {
    const record = this.#sources.get(source);
    if (record && this.#expired(record, now)) {
      this.#sources.delete(source);
      return undefined;
    }
    return record;
  }

  #expired(record: SourceRecord, now: number): boolean {
    return now - record.lastFailure > this.#limits.windowMs && now >= record.blockedUntil;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#limits.windowMs / 4) return;
    this.#lastSweep = now;
    for (const [source, record] of this.#sources) {
      if (this.#expired(record, now)) this.#sources.delete(source);
    }
  }
}

/**
 * The unit a source is counted in: an IPv4 address (also when mapped into
 * IPv6), or an IPv6 /64, since one host usually holds a whole /64 and could
 * otherwise step around its counters.
 */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [
    ...left,
    ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
