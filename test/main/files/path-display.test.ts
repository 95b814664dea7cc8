// The lexical path checks and the display form on their own (the hostile
// table runs them through the router; these pin the details).
import { describe, expect, it } from 'vitest';
import { assertValidName, parseRequestedPath } from '../../../main/files/path-syntax';
import { pathDisplay } from '../../../main/files/visible-path';
import { visiblePath } from '../../../protocol/visible-text';
import { isAssentError } from '../../../protocol/errors';

const refused = (path: unknown, platform?: 'posix' | 'win32') => {
  try {
    parseRequestedPath(path, platform);
    return 'accepted';
  } catch (err) {
    return isAssentError(err) ? err.code : String(err);
  }
};

describe('parseRequestedPath', () => {
  it('returns the components of a clean absolute path (one trailing slash tolerated)', () => {
    expect(parseRequestedPath('/srv/app/logs/')).toEqual(['srv', 'app', 'logs']);
    expect(parseRequestedPath('/')).toEqual([]);
    expect(parseRequestedPath('/srv/2024-01-01T10:00.log', 'posix')).toEqual([
      'srv',
      '2024-01-01T10:00.log',
    ]);
    expect(parseRequestedPath('/srv/100%25 done', 'posix')).toEqual(['srv', '100%25 done']);
    expect(parseRequestedPath('/srv/.hidden/..dots-inside..', 'posix')).toEqual([
      'srv',
      '.hidden',
      '..dots-inside..',
    ]);
  });

  it('refuses what is not a clean absolute path, with FILE_PATH_INVALID', () => {
    for (const bad of [
      '',
      42,
      null,
      'srv/app',
      '/srv/../etc',
      '/srv/%2E%2E/etc',
      '/srv/%25%32%65%25%32%65/etc',
      '/srv/\u2024\u2024/etc',
      '/srv/a%2Fb',
      '/srv/a%5cb',
      '/dev',
      '/sys/kernel',
      `/${'x'.repeat(5000)}`,
    ])
      expect(refused(bad), String(bad)).toBe('FILE_PATH_INVALID');
  });

  it('on Windows also refuses streams, devices and trailing dots', () => {
    expect(refused('/srv/2024-01-01T10:00.log', 'win32')).toBe('FILE_PATH_INVALID');
    expect(refused('/srv/aux.log', 'win32')).toBe('FILE_PATH_INVALID');
    expect(refused('/srv/CONOUT$', 'win32')).toBe('FILE_PATH_INVALID');
    expect(refused('/srv/name ', 'win32')).toBe('FILE_PATH_INVALID');
    expect(refused('/srv/a|b', 'win32')).toBe('FILE_PATH_INVALID');
    expect(refused('/srv/auxiliary.txt', 'win32')).toBe('accepted');
  });

  it('assertValidName checks one name', () => {
    expect(() => assertValidName('ok.txt')).not.toThrow();
    expect(() => assertValidName('a/b')).toThrow();
    expect(() => assertValidName('..')).toThrow();
  });
});

describe('visible paths', () => {
  it('shows control, bidi, zero-width and invisible spaces as code points', () => {
    expect(visiblePath('/a\nb')).toBe('/a⟨U+000A⟩b');
    expect(visiblePath('/x\u200By')).toBe('/x⟨U+200B⟩y');
    expect(visiblePath('/x\u2066y\u2069')).toBe('/x⟨U+2066⟩y⟨U+2069⟩');
    expect(visiblePath('/non\u00a0breaking')).toBe('/non⟨U+00A0⟩breaking');
    expect(visiblePath('/\u3164')).toBe('/⟨U+3164⟩');
    expect(visiblePath('/x\ufe0f')).toBe('/x⟨U+FE0F⟩');
  });

  it('escapes its own brackets, so a name cannot fake an escape', () => {
    expect(visiblePath('/⟨U+202E⟩')).toBe('/⟨U+27E8⟩U+202E⟨U+27E9⟩');
  });

  it('shows combining marks only in names that are not NFC', () => {
    expect(visiblePath('/caf\u00e9/cafe\u0301')).toBe('/café/cafe⟨U+0301⟩');
    expect(pathDisplay('/plain/path')).toEqual({
      canonical: '/plain/path',
      visible: '/plain/path',
      hasInvisible: false,
    });
    expect(pathDisplay('/a\u202Eb').hasInvisible).toBe(true);
  });
});
