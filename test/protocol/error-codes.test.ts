// Error codes are listed once (protocol/errors) and documented once
// (docs/protocol.md); this keeps the two in step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AssentError,
  ERROR_CODE_GROUPS,
  ERROR_CODES,
  isAssentError,
  isErrorCode,
} from '../../protocol/errors';

const docs = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('are unique across groups', () => {
    const all = Object.values(ERROR_CODE_GROUPS).flatMap((group) => Object.keys(group));
    expect(new Set(all).size).toBe(all.length);
    expect(Object.keys(ERROR_CODES)).toHaveLength(all.length);
  });

  it('are SCREAMING_SNAKE_CASE with a meaning, and valid WebSocket close codes where they close', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(info.meaning.length).toBeGreaterThan(10);
      if (info.closeCode !== undefined) {
        expect(
          info.closeCode === 1000 ||
            (info.closeCode >= 1001 && info.closeCode <= 1014) ||
            (info.closeCode >= 4000 && info.closeCode <= 4999),
        ).toBe(true);
      }
    }
  });

  it('are each documented in a table row of docs/protocol.md', () => {
    const missing = Object.keys(ERROR_CODES).filter(
      (code) => !new RegExp(`^\\|\\s*\`${code}\`\\s*\\|`, 'm').test(docs),
    );
    expect(missing).toEqual([]);
  });

  it('travel as code and message, never as a stack', () => {
    const error = new AssentError('SESSION_REFUSED', 'Not now', { cause: new Error('inner') });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'SESSION_REFUSED',
      message: 'Not now',
    });
    expect(isAssentError(error, 'SESSION_REFUSED')).toBe(true);
    expect(isErrorCode('SESSION_REFUSED')).toBe(true);
    expect(isErrorCode('NOT_A_CODE')).toBe(false);
    expect(new AssentError('DISK_FULL').message).toBe(ERROR_CODES.DISK_FULL.meaning);
  });
});
