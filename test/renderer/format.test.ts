import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration } from '../../renderer/format';
import { groupCode } from '../../renderer/screens/session-code';

describe('localized formats', () => {
  it('sizes follow the language', () => {
    expect(formatBytes(1500, 'en')).toMatch(/^1\.5\skB$/);
    expect(formatBytes(1500, 'de')).toMatch(/^1,5\skB$/);
    expect(formatBytes(1500, 'fr')).toMatch(/^1,5\sko$/);
    expect(formatBytes(2_000_000_000, 'nb')).toMatch(/^2\sGB$/);
    expect(formatBytes(12, 'en')).toMatch(/^12\sbytes$/);
  });

  it('countdowns never go negative', () => {
    expect(formatDuration(-5000, 'en')).toMatch(/^0?0:00$/);
    expect(formatDuration(65_000, 'en')).toMatch(/^0?1:05$/);
  });

  it('session codes are grouped for reading aloud', () => {
    expect(groupCode('5269248615')).toBe('526 924 8615');
  });
});
