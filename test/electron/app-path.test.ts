import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appContentType, resolveAppPath } from '../../main/electron/app-path';

const root = mkdtempSync(join(tmpdir(), 'assent-app-path-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html>');
writeFileSync(join(root, 'assets', 'index.js'), '');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const refused = (url: string) => {
  try {
    resolveAppPath(root, url);
  } catch (err: unknown) {
    return (err as { code?: string }).code;
  }
  return 'resolved';
};

describe('resolveAppPath', () => {
  it('maps app://renderer/ paths into the renderer folder', () => {
    expect(resolveAppPath(root, 'app://renderer/')).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, 'app://renderer/index.html')).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, 'app://renderer/assets/index.js?v=1#x')).toBe(
      join(root, 'assets', 'index.js'),
    );
    expect(resolveAppPath(root, 'app://renderer/assets/a%20b.js')).toBe(
      join(root, 'assets', 'a b.js'),
    );
  });

  const hostile = [
    'app://renderer/../secret',
    'app://renderer/assets/../../secret',
    'app://renderer/%2e%2e/secret',
    'app://renderer/%2E%2E/secret',
    'app://renderer/.%2e/secret',
    'app://renderer/assets/%2e%2e%2f%2e%2e%2fsecret',
    'app://renderer/%252e%252e/secret',
    'app://renderer/..%5csecret',
    'app://renderer/assets\\..\\..\\secret',
    'app://renderer/%5c%5cserver%5cshare',
    'app://renderer//etc/passwd',
    'app://renderer/%2fetc%2fpasswd',
    'app://renderer/C:/Windows/win.ini',
    'app://renderer/c%3a%5cwindows',
    'app://renderer/index.html%00.js',
    'app://renderer/%00',
    'app://renderer/./index.html',
    'app://renderer/assets//index.js',
    'app://renderer/%e0%a4%a',
    'app://other/index.html',
    'app://renderer.evil/index.html',
    'app://renderer@evil/index.html',
    'file:///etc/passwd',
    'http://renderer/index.html',
    'app:/renderer/index.html',
    'APP://renderer/index.html',
    `app://renderer/${'a/'.repeat(600)}x`,
  ];
  it.each(hostile)('refuses %s with APP_PATH_REFUSED', (url) => {
    expect(refused(url)).toBe('APP_PATH_REFUSED');
  });

  it('throws TypeError for a relative root (our own misuse)', () => {
    expect(() => resolveAppPath('out/renderer', 'app://renderer/')).toThrow(TypeError);
  });

  it('names content types by extension, opaque bytes otherwise', () => {
    expect(appContentType('/x/index.html')).toMatch(/^text\/html/);
    expect(appContentType('/x/a.JS')).toMatch(/^text\/javascript/);
    expect(appContentType('/x/a.bin')).toBe('application/octet-stream');
  });
});
