import { describe, expect, it } from 'vitest';
import { compileGlob, firstDeniedGlob, isPathUnder } from '../../../main/rules/path-scope';
import { DEFAULT_DENIED_GLOBS } from '../../../protocol/ground-rules';

describe('isPathUnder', () => {
  it.each([
    ['/a/b', '/a/b', true],
    ['/a/b/c', '/a/b', true],
    ['/a/b/', '/a/b', true],
    ['/a/bc', '/a/b', false],
    ['/a', '/a/b', false],
    ['/a/b/../c', '/a/b', false],
    ['/a/b/./c', '/a/b', false],
    ['/a//b/c', '/a/b', false],
    ['a/b/c', 'a/b', false],
    ['/a/b/c\0', '/a/b', false],
    ['/A/B/c', '/a/b', false],
    ['/anything', '/', true],
  ])('posix: %j under %j is %s', (path, root, expected) => {
    expect(isPathUnder(path, root, 'posix')).toBe(expected);
  });

  it.each([
    ['C:\\Data\\App\\x.log', 'c:/data/app', true],
    ['C:\\Data\\Apps\\x.log', 'C:\\Data\\App', false],
    ['D:\\Data\\App\\x', 'C:\\Data\\App', false],
    ['\\\\server\\share\\dir\\f', '\\\\SERVER\\share\\dir', true],
    ['\\\\?\\C:\\Data\\App\\x', 'C:\\Data\\App', false],
    ['relative\\x', 'C:\\', false],
  ])('win32: %j under %j is %s', (path, root, expected) => {
    expect(isPathUnder(path, root, 'win32')).toBe(expected);
  });

  it('darwin compares case- and normalization-insensitively', () => {
    expect(isPathUnder('/Users/ANNA/Logs/café.txt', '/Users/anna/logs', 'darwin')).toBe(true);
    expect(isPathUnder('/Users/anna/caf\u0065\u0301/x', '/Users/anna/caf\u00e9', 'darwin')).toBe(
      true,
    );
  });
});

describe('denied globs', () => {
  const defaults = DEFAULT_DENIED_GLOBS.map(compileGlob);
  it.each([
    '/home/u/.ssh/id_ed25519',
    '/home/u/.SSH/config',
    '/home/u/.ssh',
    '/root/.aws/credentials',
    '/srv/app/tls/server.PEM',
    '/srv/app/keys.key/inside.txt',
    '/home/u/id_rsa.pub',
    '/home/u/.kube/config',
    'C:\\Users\\u\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cookies',
    '/Users/u/Library/Keychains/login.keychain-db',
    '/home/u/.mozilla/firefox/x.default/logins.json',
    '/home/u/.local/share/keyrings/login.keyring',
  ])('%j is denied by default', (path) => {
    expect(firstDeniedGlob(path, defaults)).not.toBeNull();
  });

  it.each([
    '/srv/app/config/app.conf',
    '/var/log/app/ssh.log',
    '/srv/app/keynote.txt',
    '/home/u/.sshd',
  ])('%j is not denied by default', (path) => {
    expect(firstDeniedGlob(path, defaults)).toBeNull();
  });

  it('matches single-component wildcards within one component only', () => {
    const [g] = [compileGlob('/srv/*/secret.txt')];
    expect(g!.regex.test('srv/app/secret.txt')).toBe(true);
    expect(g!.regex.test('srv/a/b/secret.txt')).toBe(false);
    expect(compileGlob('**/data?.db').regex.test('x/data1.db')).toBe(true);
    expect(compileGlob('**/data?.db').regex.test('x/data12.db')).toBe(false);
  });
});
