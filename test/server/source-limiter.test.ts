import { describe, expect, it } from 'vitest';
import { SourceLimiter, sourceKey } from '../../server/source-limiter';

describe('source limiter', () => {
  it('counts IPv4 per address and IPv6 per /64', () => {
    expect(sourceKey('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceKey(undefined)).toBe('unknown');
  });

  it('lets the free attempts through, then doubles the wait up to the ceiling, then forgets', () => {
    const limiter = new SourceLimiter({
      freeAttempts: 2,
      backoffBaseMs: 100,
      backoffMaxMs: 350,
      windowMs: 10_000,
    });
    let now = 1_000_000;
    expect([limiter.fail('a', now), limiter.fail('a', now)]).toEqual([0, 100]);
    expect(limiter.retryAfter('a', now)).toBe(100);
    expect(limiter.retryAfter('b', now)).toBe(0);
    now += 100;
    expect(limiter.fail('a', now)).toBe(200);
    now += 200;
    expect(limiter.fail('a', now)).toBe(350);
    expect(limiter.fail('a', now)).toBe(350);
    now += 350 + 10_001;
    expect(limiter.retryAfter('a', now)).toBe(0);
    expect(limiter.fail('a', now)).toBe(0);
  });
});
