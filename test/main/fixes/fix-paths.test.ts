import { describe, expect, it } from 'vitest';
import { checkFixPath, checkFixPathSet } from '../../../main/fixes/fix-paths';
import { compareSemVer } from '../../../protocol/fixes';
import { isAssentError } from '../../../protocol/errors';

const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (isAssentError(err)) return err.code;
    throw err;
  }
  return 'ACCEPTED';
};

describe('fix paths', () => {
  it.each([
    ['../x', 'dot component'],
    ['a/../../x', 'dot component'],
    ['a/./b', 'dot component'],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows/x', 'drive letter'],
    ['c:x', 'drive letter'],
    ['a\\..\\b', 'forbidden character'],
    ['a//b', 'empty component'],
    ['a/', 'empty component'],
    ['a\u0000b', 'forbidden character'],
    ['a\nb', 'forbidden character'],
    ['file:stream', 'forbidden character'],
    ['a\u202eb', 'invisible character'],
    ['a\u200bb', 'invisible character'],
    ['NUL', 'device name'],
    ['dir/com1.txt', 'device name'],
    ['trailing.', 'name ends with a dot or space'],
    ['trailing ', 'name ends with a dot or space'],
    ['cafe\u0301', 'not in Unicode NFC form'],
    ['x'.repeat(256), 'name too long'],
    [Array(33).fill('d').join('/'), 'too deep'],
    [Array(200).fill('abcdefgh').join('/'), 'too long'],
  ])('refuses %j (%s)', (path, why) => {
    try {
      checkFixPath(path);
      throw new Error('accepted');
    } catch (err) {
      expect(isAssentError(err, 'FIX_PATH_UNSAFE')).toBe(true);
      expect((err as { details: { why: string } }).details.why).toBe(why);
    }
  });

  it('accepts ordinary relative paths', () => {
    for (const p of ['a', 'bin/tool', 'lib/v1.2/x.so', 'docs/naïve.txt', '.hidden/file'])
      expect(checkFixPath(p)).toEqual(p.split('/'));
  });

  it('refuses duplicates, case and compatibility collisions, and a file that is also a directory', () => {
    expect(refused(() => checkFixPathSet(['a', 'a']))).toBe('FIX_PATH_UNSAFE');
    expect(refused(() => checkFixPathSet(['Read.me', 'READ.ME']))).toBe('FIX_PATH_UNSAFE');
    expect(refused(() => checkFixPathSet(['ﬁle', 'file']))).toBe('FIX_PATH_UNSAFE');
    expect(refused(() => checkFixPathSet(['lib', 'LIB/x']))).toBe('FIX_PATH_UNSAFE');
    expect(refused(() => checkFixPathSet(['lib/a', 'lib/b', 'bin/a']))).toBe('ACCEPTED');
  });
});

describe('compareSemVer', () => {
  it.each([
    ['1.0.0', '1.0.1', -1],
    ['1.10.0', '1.9.9', 1],
    ['2.0.0', '2.0.0', 0],
    ['2.0.0-rc.1', '2.0.0', -1],
    ['2.0.0-rc.2', '2.0.0-rc.10', -1],
    ['2.0.0-alpha', '2.0.0-alpha.1', -1],
    ['2.0.0-1', '2.0.0-alpha', -1],
    ['2.0.0-beta', '2.0.0-alpha', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareSemVer(a, b))).toBe(sign);
    expect(Math.sign(compareSemVer(b, a))).toBe(-sign || 0);
  });
});
